import { closeSync, openSync, readSync, statSync, watch } from "node:fs";
import { WsqError } from "../../shared/errors.js";
import { daemonLogPath } from "./state.js";

/** Reading the whole log to print its end is wasteful; this many trailing bytes hold plenty of lines. */
const TAIL_WINDOW_BYTES = 4 * 1024 * 1024;

function readRange(path: string, start: number, end: number): Buffer {
  const length = Math.max(0, end - start);
  const buffer = Buffer.alloc(length);
  const fd = openSync(path, "r");
  try {
    let offset = 0;
    while (offset < length) {
      const read = readSync(fd, buffer, offset, length - offset, start + offset);
      if (read === 0) break;
      offset += read;
    }
    return buffer.subarray(0, offset);
  } finally {
    closeSync(fd);
  }
}

/** The last `lines` lines of the log, and the byte offset where following continues. */
export function readLogTail(dataDir: string, lines: number): { text: string; endOffset: number } {
  const path = daemonLogPath(dataDir);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new WsqError("NO_LOG", `There is no local cloud log at ${path} yet.`, {
      hint: "Start the local cloud with `wsq local start` (or pass the --data-dir it runs with).",
    });
  }
  const start = Math.max(0, size - TAIL_WINDOW_BYTES);
  const text = readRange(path, start, size).toString("utf8");
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  if (start > 0) all.shift(); // the first line of the window may be cut
  const kept = lines <= 0 ? [] : all.slice(-lines);
  return { text: kept.length > 0 ? `${kept.join("\n")}\n` : "", endOffset: size };
}

/**
 * Prints what is appended to the log after `fromOffset` until `until` resolves. Driven by file
 * change events; a truncated or rotated log is followed from its start.
 */
export async function followLog(dataDir: string, fromOffset: number, write: (text: string) => void, until: Promise<void>): Promise<void> {
  const path = daemonLogPath(dataDir);
  let offset = fromOffset;
  const drain = (): void => {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0;
    if (size === offset) return;
    const chunk = readRange(path, offset, size);
    offset += chunk.length;
    write(chunk.toString("utf8"));
  };
  const watcher = watch(dataDir, (_event, name) => {
    if (name === null || name.startsWith("local.log")) drain();
  });
  try {
    drain();
    await until;
    drain();
  } finally {
    watcher.close();
  }
}
