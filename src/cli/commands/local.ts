import { Option, type Command } from "commander";
import { DEFAULT_PORT, DEFAULT_REGION, STOP_GRACE_MS } from "../../shared/defaults.js";
import type { CommandContext } from "../program.js";
import type { StartFlags } from "../actions/local-start.js";

export function registerLocalCommand(program: Command, context: CommandContext): void {
  const local = program
    .command("local")
    .description("run the embedded local cloud (SQS, API Gateway WebSocket, Lambda, CloudFormation, S3) on 127.0.0.1")
    .addHelpText(
      "after",
      `
One local cloud runs per data directory (default: $WSQ_HOME/local, or ~/.wsq/local).

Examples:
  $ wsq local start                 start it in the background (port ${DEFAULT_PORT}, or the one it used last)
  $ wsq local start --foreground    run it in this terminal (Ctrl-C stops it)
  $ wsq local start --no-quotas     accept FIFO load beyond AWS's throughput quotas (which AWS would throttle)
  $ wsq local start --ordered-frames  integrate each connection's frames in arrival order (AWS does not promise it)
  $ wsq local status --json
  $ wsq local logs --follow
  $ wsq local stop`,
    );

  const dataDirOption = (): Option => new Option("--data-dir <dir>", "data directory (database, daemon.json, log)");

  local
    .command("start")
    .description("start the local cloud (in the background unless --foreground)")
    .option("--port <port>", `port to listen on; 0 picks a free one (default: the port this data dir last used, else ${DEFAULT_PORT})`)
    .addOption(dataDirOption())
    .option("--region <region>", "region the local cloud reports in ARNs and URLs", DEFAULT_REGION)
    .option("--host <host>", "interface to bind; anything but loopback exposes it to the network", "127.0.0.1")
    .option("--verify-signatures", "refuse AWS API requests not SigV4-signed with the local credentials (wsqlocal / wsqlocalsecret), as AWS would")
    .option("--no-quotas", "do not enforce AWS's SQS FIFO throughput quotas (300 calls/s per action, per message group in high-throughput mode)")
    .option(
      "--ordered-frames",
      "integrate each WebSocket connection's frames in the order they arrived (by default frames arriving together may reach the queue in any order, as on AWS)",
    )
    .option("--foreground", "run in this process, logging to stderr, until Ctrl-C or SIGTERM")
    .option("--json", "print the instance as JSON")
    .addOption(new Option("--daemon-child").hideHelp())
    .action(async (flags: StartFlags) => (await import("../actions/local-start.js")).localStartAction(flags, context));

  local
    .command("status")
    .description("whether the local cloud runs, where, and for how long (exit 1 when it does not run)")
    .addOption(dataDirOption())
    .option("--json", "print the status as JSON")
    .action(async (flags: { dataDir?: string; json?: boolean }) => (await import("../actions/local-status.js")).localStatusAction(flags, context));

  local
    .command("stop")
    .description(`stop the local cloud gracefully (in-flight writes finish; killed after ${STOP_GRACE_MS / 1000} s)`)
    .addOption(dataDirOption())
    .option("--json", "print the outcome as JSON")
    .action(async (flags: { dataDir?: string; json?: boolean }) => (await import("../actions/local-stop.js")).localStopAction(flags, context));

  local
    .command("logs")
    .description("print the local cloud's log")
    .addOption(dataDirOption())
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .option("-n, --lines <n>", "how many trailing lines to print", "50")
    .action(async (flags: { dataDir?: string; follow?: boolean; lines: string }) => (await import("../actions/local-logs.js")).localLogsAction(flags, context));
}
