import * as readline from "node:readline";
import type { CommandContext } from "../program.js";
import { parseSeconds } from "../flags.js";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { parseHeaders, resolveWebSocketUrl } from "../../client/common/websocket-target.js";
import { ConnectSession } from "../../client/connect/session.js";
import { runPiped } from "../../client/connect/run-piped.js";
import { runInteractive } from "../../client/connect/interactive.js";
import { historyFile } from "../../client/connect/history.js";

export interface ConnectFlags {
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

export async function connectAction(flags: ConnectFlags, context: CommandContext): Promise<void> {
  const io = context.io;
  const execute = flags.execute ?? [];
  const headers = parseHeaders(flags.header ?? []);
  const waitMs = parseSeconds("--wait", flags.wait, true);
  const connectTimeoutMs = parseSeconds("--connect-timeout", flags.connectTimeout, false);
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
}
