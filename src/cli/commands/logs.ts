import type { Command } from "commander";
import { DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import type { CommandContext } from "../program.js";
import type { LogsFlags } from "../actions/logs.js";

export function registerLogsCommand(program: Command, context: CommandContext): void {
  program
    .command("logs")
    .description("show the pattern function's logs (START/END/REPORT and console output), on the local cloud or from CloudWatch Logs")
    .option("--target <target>", "local (default) or aws")
    .option("--stack-name <name>", "the stack whose function to show", DEFAULT_STACK_NAME)
    .option("--function <name>", "a function name instead of the stack's function")
    .option("--region <region>", "AWS Region")
    .option("--profile <profile>", "AWS profile from ~/.aws (aws target)")
    .option("--endpoint-url <url>", "send every AWS call to this endpoint")
    .option("--since <duration>", "how far back to start: 30s, 10m, 2h, 1d", "10m")
    .option("-f, --follow", "keep printing new log lines until Ctrl-C")
    .option("--filter <pattern>", 'CloudWatch Logs filter pattern (terms, "phrases", -exclusions)')
    .option("--json", "one JSON object per line: timestamp, stream, message")
    .addHelpText(
      "after",
      `
Examples:
  $ wsq logs                         the last 10 minutes of the deployed function's logs
  $ wsq logs -f                      follow, as new invocations log
  $ wsq logs --since 1h --filter ERROR
  $ wsq logs --target aws --stack-name prod -f`,
    )
    .action(async (flags: LogsFlags) => (await import("../actions/logs.js")).logsAction(flags, context));
}
