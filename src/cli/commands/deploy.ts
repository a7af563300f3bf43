import type { Command } from "commander";
import type { CommandContext } from "../program.js";
import { createDeployRenderer, renderDeployResult } from "../output/deploy-renderer.js";
import { ask, canPrompt } from "../output/prompt.js";
import { abortOn } from "../interrupt.js";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { DEFAULT_STACK_NAME } from "../../deploy/stack-outputs.js";
import { checkDeployInput, deployPattern } from "../../deploy/deploy.js";
import { prepareTarget } from "../../deploy/prepare-target.js";

interface DeployFlags {
  target?: string;
  stackName: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  parameter: string[];
  handler?: string;
  yes?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

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
    .action(async (flags: DeployFlags) => {
      const { io } = context;
      const json = flags.json === true;
      const renderer = createDeployRenderer(io, json);
      const { emit } = renderer;
      const signal = abortOn(context.interrupted);
      try {
        checkDeployInput({ stackName: flags.stackName, parameters: flags.parameter, ...(flags.handler !== undefined ? { handlerFile: flags.handler } : {}) });
        renderer.progress.update("Preparing the target…");
        const target = await prepareTarget(flags, { start: true, onStart: (message) => emit({ type: "note", message }) });
        const result = await deployPattern({
          target,
          stackName: flags.stackName,
          parameters: flags.parameter,
          ...(flags.handler !== undefined ? { handlerFile: flags.handler } : {}),
          emit,
          signal,
          confirm: async ({ changes }) => {
            if (flags.yes) return true;
            if (!canPrompt(io) && target.kind === "local" && flags.endpointUrl === undefined) {
              // `npx wsq deploy` is README's set-up command and may run without a terminal; on wsq's
              // own local cloud nothing but the user's emulator is at stake, so apply and say so.
              emit({ type: "note", message: "No terminal to confirm on: applying the changes to the local cloud (AWS deploys always ask, or take --yes)." });
              return true;
            }
            if (!canPrompt(io)) {
              throw new WsqError(
                "CONFIRMATION_REQUIRED",
                `Not applying ${changes.length} change${changes.length === 1 ? "" : "s"} without confirmation: there is no terminal to ask on.`,
                {
                  hint: "Review the changes listed above and run the command again with --yes.",
                  exitCode: ExitCode.usage,
                },
              );
            }
            renderer.pause();
            const answer = await ask(io, "Apply these changes? [y/N] ", context.interrupted);
            renderer.resume();
            return /^y(es)?$/i.test(answer);
          },
        });
        renderer.stop();
        if (json) io.out(JSON.stringify(result, null, 2));
        else renderDeployResult(io, result);
      } catch (error) {
        renderer.stop();
        throw error;
      }
    });
}
