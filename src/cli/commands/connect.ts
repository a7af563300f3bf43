import type { Command } from "commander";
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import type { CommandContext } from "../program.js";
import { collect } from "../flags.js";
import type { ConnectFlags } from "../actions/connect.js";

/** After the last message goes out, how long non-interactive mode waits for results by default. */
const DEFAULT_WAIT_SECONDS = 10;

export function registerConnectCommand(program: Command, context: CommandContext): void {
  program
    .command("connect")
    .description("talk to the deployed WebSocket API: each result is tied to its message, with round trip, queue wait and order marks")
    .option("--stack-name <name>", `the stack whose WebSocketUrl to use (default "${DEFAULT_STACK_NAME}")`)
    .option("--url <url>", "connect to this ws:// or wss:// URL instead of looking up a stack")
    .option("--target <target>", "local (the embedded local cloud, default) or aws")
    .option("--region <region>", "AWS Region of the stack")
    .option("--profile <profile>", "AWS profile (aws target)")
    .option("--endpoint-url <url>", "CloudFormation endpoint to look the stack up at")
    .option("--group <id>", "MessageGroupId for plain-text messages", "g1")
    .option("--json", "NDJSON records on stdout, one per result, error and close (also without a terminal)")
    .option("-x, --execute <msg>", "send this message, wait for results, exit (repeatable)", collect)
    .option("-w, --wait <seconds>", "non-interactive: after the last message, wait this long for results", String(DEFAULT_WAIT_SECONDS))
    .option("-H, --header <key:value>", "extra header on the upgrade request (repeatable)", collect)
    .option("--reconnect", "reconnect with backoff when the connection is lost")
    .option("--connect-timeout <seconds>", "give up connecting after this long", String(DEFAULT_CONNECT_TIMEOUT_MS / 1000))
    .option("--no-history", "do not read or write the prompt history file")
    .option("--strict-send-order", "non-interactive: also exit 3 when a message reaches the queue after one of its group sent later")
    .addHelpText(
      "after",
      `
In a terminal, a prompt: type text (sent in the pattern's format) or JSON (sent as typed);
/help lists the slash commands, among them /work MS and /fail [once|always] (the next message
asks the built-in handler to take MS ms, or to fail its first or every delivery: watch the retry,
or the DLQ). Without a terminal (piped stdin, --execute or --json), each
line is a message and each result is one NDJSON record on stdout (fields: docs/connect.md).

Order is checked where the pattern guarantees it: within a group, results must arrive in the
order of their SQS sequence numbers. A message that reached the queue after one of its group sent
later is marked as reordered before the queue (API Gateway promises no order there): information,
unless --strict-send-order. A message API Gateway answers with an error frame is shown as
throttled (at the queue's door, or by the stage) or refused, never as a silent loss.

Exit codes: 0 every message got its result; 1 the connection failed or was lost;
            3 a message got no result (throttled included), an error frame arrived, or results
              came out of the queue's order (or out of send order, with --strict-send-order).

Examples:
  $ wsq connect
  $ wsq connect --url wss://abc123.execute-api.eu-west-1.amazonaws.com/prod --group orders
  $ printf 'one\\ntwo\\n' | wsq connect --wait 30 > results.ndjson
  $ wsq connect -x hello -x '{"action":"send","MessageGroupId":"g","data":1}'
  $ wsq connect -x '{"action":"send","id":"slow-1","MessageGroupId":"g","wsq":{"work":500},"data":"slow"}'`,
    )
    .action(async (flags: ConnectFlags) => (await import("../actions/connect.js")).connectAction(flags, context));
}
