import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import type { CommandContext } from "../program.js";
import type { CliIo } from "../output/io.js";
import { WsqError } from "../../shared/errors.js";
import { clientConfig } from "../../shared/target.js";
import { findStackOutputs } from "../../deploy/stack-outputs.js";
import { prepareTarget } from "../../deploy/prepare-target.js";
import { functionLogGroup, pollIntervalMs, tailLogGroup, type LogLine } from "../../client/logs/tail.js";
import { parseSince } from "../flags.js";

export interface LogsFlags {
  target?: string;
  stackName: string;
  function?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  since: string;
  follow?: boolean;
  filter?: string;
  json?: boolean;
}

/** The execution environment's part of a stream name (`2026/11/24/[$LATEST]3f2a…` → `3f2a9c1b`). */
function shortStream(stream: string): string {
  const id = /\]([0-9a-f]+)$/.exec(stream)?.[1];
  return id ? id.slice(0, 8) : stream;
}

function render(io: CliIo, line: LogLine): void {
  const c = io.stdoutColor;
  const time = new Date(line.timestamp).toISOString().slice(11, 23);
  const message = line.message;
  let body = message;
  if (/^(START|END) RequestId:/.test(message)) body = c.dim(message);
  else if (message.startsWith("REPORT RequestId:")) body = c.cyan(message.replace(/\t+$/, "").replace(/\t/g, "  "));
  else if (/\tERROR\t|Task timed out|Runtime\.\w+Error|Status: (error|timeout)/.test(message)) body = c.red(message);
  else if (/\tWARN\t/.test(message)) body = c.yellow(message);
  io.out(`${c.dim(time)} ${c.dim(`[${shortStream(line.stream)}]`)} ${body}`);
}

export async function logsAction(flags: LogsFlags, context: CommandContext): Promise<void> {
  const since = parseSince(flags.since);
  const target = await prepareTarget(flags, { start: false });
  const functionName = flags.function ?? (await findStackOutputs(target, flags.stackName)).FunctionName;
  const logGroupName = await functionLogGroup(target, functionName);
  const client = new CloudWatchLogsClient(clientConfig(target));
  const io = context.io;
  try {
    await tailLogGroup({
      client,
      logGroupName,
      startTime: Date.now() - since,
      ...(flags.filter ? { filterPattern: flags.filter } : {}),
      follow: flags.follow === true,
      pollMs: pollIntervalMs(target),
      stopped: context.interrupted,
      onEvent: (line) => {
        if (flags.json) io.out(JSON.stringify({ timestamp: new Date(line.timestamp).toISOString(), stream: line.stream, message: line.message }));
        else render(io, line);
      },
      onMissingGroup: () =>
        io.err(
          io.color.dim(
            `No logs yet for ${functionName} (log group ${logGroupName} does not exist until the function first runs).${flags.follow ? " Waiting…" : ""}`,
          ),
        ),
    });
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === "InvalidParameterException") {
      throw new WsqError("BAD_FILTER", `CloudWatch Logs refused the request: ${(error as Error).message}`, {
        hint: 'Check --filter: plain terms, "quoted phrases" and -exclusions work on both targets.',
        exitCode: 2,
        cause: error,
      });
    }
    throw error;
  } finally {
    client.destroy();
  }
}
