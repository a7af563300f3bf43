import type { Command } from "commander";
import { DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import type { CommandContext } from "../program.js";
import { collect } from "../flags.js";
import type { DeployFlags } from "../actions/deploy.js";

export function registerDeployCommand(program: Command, context: CommandContext): void {
  program
    .command("deploy")
    .description("deploy the pattern (WebSocket API -> SQS FIFO -> Lambda) with CloudFormation; shows the changes and asks before applying them")
    .option("--target <target>", "local (the embedded local cloud, started if needed; default) or aws")
    .option("--stack-name <name>", "CloudFormation stack name; resource names derive from it", DEFAULT_STACK_NAME)
    .option("--region <region>", "AWS Region (default: AWS_REGION or the profile's region)")
    .option("--profile <profile>", "AWS profile from ~/.aws (aws target)")
    .option("--endpoint-url <url>", "send every AWS call to this endpoint (an already running local cloud, or another emulator)")
    .option("--parameter <KEY=VALUE>", "template parameter, e.g. BatchSize=5 or FunctionTimeoutSeconds=30 (repeatable)", collect, [])
    .option("--handler <file>", "deploy your own processing function (.ts or .js exporting `process`) instead of the echo handler")
    .option("-y, --yes", "apply the changes without asking (required without a terminal, except on wsq's own local cloud)")
    .option("--json", "print the result (status, changes, outputs) as JSON on stdout")
    .addHelpText(
      "after",
      `
Parameters (--parameter KEY=VALUE): BatchSize (1-10), MaximumConcurrency (2-1000),
  FunctionTimeoutSeconds (5,10,15,30,60,120,300,900; the queue's visibility timeout is 6x),
  FunctionMemoryMB, MaxReceiveCount (>=5), StageName, ThrottlingRateLimit, ThrottlingBurstLimit,
  LogRetentionDays. A parameter not given keeps its current value on an update.

Examples:
  $ wsq deploy                                   local cloud (started if needed)
  $ wsq deploy --target aws --region eu-west-1 --yes
  $ wsq deploy --parameter BatchSize=5 --handler ./my-handler.ts`,
    )
    .action(async (flags: DeployFlags) => (await import("../actions/deploy.js")).deployAction(flags, context));
}
