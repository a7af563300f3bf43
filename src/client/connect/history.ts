import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { wsqHome } from "../../shared/paths.js";

/** Lines kept across sessions; older ones drop off. */
export const HISTORY_LIMIT = 1000;

export function historyFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(wsqHome(env), "connect_history");
}

/**
 * Lines that must not be written to disk: a leading space (the shell convention for "don't
 * remember this") or anything that looks like a credential. Such lines stay recallable in the
 * running session only.
 */
export function isSecretLine(line: string): boolean {
  return line.startsWith(" ") || /(authorization|bearer|password|passwd|secret|token|api[-_]?key|x-api-key)/i.test(line);
}

/** Newest first, as node:readline's `history` option wants it. A missing or unreadable file is an empty history. */
export function loadHistory(file: string): string[] {
  try {
    const lines = readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.length > 0);
    return lines.reverse().slice(0, HISTORY_LIMIT);
  } catch {
    return [];
  }
}

/** Writes the history (newest first in memory, oldest first on disk), owner-only. Never throws: history is a convenience. */
export function saveHistory(file: string, newestFirst: readonly string[]): void {
  try {
    const kept = newestFirst.filter((line) => !isSecretLine(line)).slice(0, HISTORY_LIMIT);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, kept.length > 0 ? `${[...kept].reverse().join("\n")}\n` : "", { mode: 0o600 });
  } catch {
    // A read-only home must not break the session.
  }
}
