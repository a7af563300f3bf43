/**
 * The platform lines Lambda writes around each invocation, as they appear in CloudWatch Logs.
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html
 */
import { randomBytes } from "node:crypto";

export function logGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** `2026/11/24/[$LATEST]0123456789abcdef0123456789abcdef`: one stream per execution environment. */
export function logStreamName(now: number): string {
  const date = new Date(now);
  const day = `${date.getUTCFullYear()}/${String(date.getUTCMonth() + 1).padStart(2, "0")}/${String(date.getUTCDate()).padStart(2, "0")}`;
  return `${day}/[$LATEST]${randomBytes(16).toString("hex")}`;
}

export function startLine(requestId: string): string {
  return `START RequestId: ${requestId} Version: $LATEST`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

export interface ReportFigures {
  durationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Only on the first invocation of an execution environment. */
  initDurationMs?: number;
  status?: "timeout" | "error";
}

/**
 * Billed duration is the duration rounded up to the millisecond; since August 2025 the INIT
 * phase of managed runtimes is billed too, so a cold start bills both.
 */
export function billedDurationMs(durationMs: number, initDurationMs?: number): number {
  return Math.ceil(durationMs + (initDurationMs ?? 0));
}

export function reportLine(requestId: string, figures: ReportFigures): string {
  const parts = [
    `REPORT RequestId: ${requestId}`,
    `Duration: ${figures.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${billedDurationMs(figures.durationMs, figures.initDurationMs)} ms`,
    `Memory Size: ${figures.memorySizeMb} MB`,
    `Max Memory Used: ${figures.maxMemoryUsedMb} MB`,
  ];
  if (figures.initDurationMs !== undefined) parts.push(`Init Duration: ${figures.initDurationMs.toFixed(2)} ms`);
  if (figures.status === "timeout") parts.push("Status: timeout");
  if (figures.status === "error") parts.push("Status: error");
  return `${parts.join("\t")}\t`;
}

export function timeoutLine(now: number, requestId: string, timeoutSeconds: number): string {
  return `${new Date(now).toISOString()} ${requestId} Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
}
