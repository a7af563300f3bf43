import type { LocalLogger, LogLevel } from "../context.js";

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Secrets never reach the log: any field whose name looks like a credential is masked. */
const SECRET_FIELD = /secret|password|token|authorization|credential|signature/i;

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) out[key] = SECRET_FIELD.test(key) ? "***" : value;
  return out;
}

/** One line per event: `2026-11-24T10:00:00.000Z INFO  sqs  message {"json":"fields"}`. */
export function createLineLogger(write: (line: string) => void, minimum: LogLevel = "info", scope = "local"): LocalLogger {
  return {
    log(level, message, fields) {
      if (levelRank[level] < levelRank[minimum]) return;
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(redact(fields))}` : "";
      write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${scope.padEnd(10)} ${message}${extra}\n`);
    },
    child(childScope) {
      return createLineLogger(write, minimum, childScope);
    },
  };
}

export const silentLogger: LocalLogger = { log() {}, child: () => silentLogger };
