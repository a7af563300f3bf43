/**
 * The handler's log lines: one JSON object per line (`{"level","message",...fields}`), on the
 * console stream of its level, which the Lambda runtime turns into CloudWatch Logs lines with the
 * level and request id (`wsq logs` shows them, `wsq dlq list` finds a message's error in them).
 * Shared by the wrapper (wrapper.ts) and the consumer directives (directives.ts), which are bundled
 * apart for `wsq deploy --handler`.
 */
export type LogLevel = "info" | "warn" | "error";

export function logLine(level: LogLevel, message: string, fields: Record<string, unknown>): void {
  const line = JSON.stringify({ level, message, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
