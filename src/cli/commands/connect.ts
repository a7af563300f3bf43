import type { Command } from "commander";
import * as readline from "node:readline";
import type { CommandContext } from "../program.js";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { DEFAULT_STACK_NAME } from "../../deploy/stack-outputs.js";
import { parseHeaders, resolveWebSocketUrl } from "../../client/common/websocket-target.js";
import { DEFAULT_CONNECT_TIMEOUT_MS } from "../../client/common/open-websocket.js";
import { ConnectSession } from "../../client/connect/session.js";
import { runPiped } from "../../client/connect/run-piped.js";
import { runInteractive } from "../../client/connect/interactive.js";
import { historyFile } from "../../client/connect/history.js";

/** After the last message goes out, how long non-interactive mode waits for results by default. */
const DEFAULT_WAIT_SECONDS = 10;

interface ConnectFlags {
  stackName?: string;
  url?: string;
  target?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  group: string;
  json?: boolean;
  execute?: string[];
  wait: string;
  header?: string[];
  reconnect?: boolean;
  connectTimeout: string;
  history: boolean;
  strictSendOrder?: boolean;
}

// No commander default for repeatable flags, so that help does not print "(default: [])".
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function seconds(flag: string, raw: string, allowZero: boolean): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new WsqError("BAD_FLAG", `${flag} must be a number of seconds${allowZero ? "" : " above 0"}, not "${raw}".`, { exitCode: ExitCode.usage });
  }
  return value * 1000;
}

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
/help lists the slash commands. Without a terminal (piped stdin, --execute or --json), each
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
  $ wsq connect -x hello -x '{"action":"send","MessageGroupId":"g","data":1}'`,
    )
    .action(async (flags: ConnectFlags) => {
      const io = context.io;
      const execute = flags.execute ?? [];
      const headers = parseHeaders(flags.header ?? []);
      const waitMs = seconds("--wait", flags.wait, true);
      const connectTimeoutMs = seconds("--connect-timeout", flags.connectTimeout, false);
      if (!/^[!-~]{1,128}$/.test(flags.group)) {
        throw new WsqError("BAD_GROUP", `--group "${flags.group}" is not a valid MessageGroupId.`, {
          hint: "Use 1 to 128 printable ASCII characters without spaces.",
          exitCode: ExitCode.usage,
        });
      }
      const url = await resolveWebSocketUrl(flags, io.env);
      const stdinIsTty = io.stdin.isTTY === true;
      const interactive = stdinIsTty && io.stdout.isTTY === true && execute.length === 0 && !flags.json;

      const session = new ConnectSession({ url, headers, group: flags.group, connectTimeoutMs, reconnect: flags.reconnect === true });
      if (!interactive) io.err(io.color.dim(`connecting to ${url} …`));
      await session.connect();

      if (interactive) {
        context.setExitCode(
          await runInteractive(session, {
            input: io.stdin,
            output: io.stdout,
            color: io.stdoutColor,
            historyFile: flags.history ? historyFile(io.env) : undefined,
            rawFrames: false,
          }),
        );
        return;
      }

      io.err(io.color.dim(`connected; ${execute.length > 0 ? `sending ${execute.length} message(s)` : "one message per input line"}`));
      const lines = execute.length > 0 ? execute : readline.createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
      const code = await runPiped(session, {
        lines,
        waitMs,
        reconnect: flags.reconnect === true,
        strictSendOrder: flags.strictSendOrder === true,
        interrupted: context.interrupted,
        write: (record) => io.stdout.write(`${JSON.stringify(record)}\n`),
        diagnose: (text) => io.err(io.color.dim(text)),
      });
      context.setExitCode(code);
    });
}
