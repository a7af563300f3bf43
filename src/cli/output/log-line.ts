import type { CliIo } from "./io.js";
import type { LogLine } from "../../client/logs/tail.js";

/** The execution environment's part of a stream name (`2026/11/24/[$LATEST]3f2a…` → `3f2a9c1b`). */
function shortStream(stream: string): string {
  const id = /\]([0-9a-f]+)$/.exec(stream)?.[1];
  return id ? id.slice(0, 8) : stream;
}

/** One log line: time, execution environment, message colored by kind; or one JSON object with --json. */
export function renderLogLine(io: CliIo, line: LogLine, json: boolean | undefined): void {
  if (json) {
    io.out(JSON.stringify({ timestamp: new Date(line.timestamp).toISOString(), stream: line.stream, message: line.message }));
    return;
  }
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
