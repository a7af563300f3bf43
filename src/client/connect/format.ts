import type { ChalkInstance } from "chalk";
import type { Refusal, SentMessage, SessionStats } from "./correlation.js";
import type { SessionEvent } from "./session.js";
import type { ConsumerDirectives } from "../../shared/pattern-messages.js";

/** Human-readable lines for the interactive session. Pure: a chalk instance in, strings out. */

export function formatData(data: unknown): string {
  if (typeof data === "string") return data;
  return JSON.stringify(data) ?? String(data);
}

function label(message: SentMessage | undefined): string {
  if (!message) return "untied";
  return `#${message.index}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "?";
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** "works 200 ms, fails once": what a message's directives ask of the consumer. */
export function describeDirectives(d: ConsumerDirectives): string {
  const parts: string[] = [];
  if (d.work !== undefined) parts.push(`works ${d.work} ms`);
  if (d.fail === "once") parts.push("fails its first delivery");
  if (d.fail === "always") parts.push("fails every delivery (ends in the DLQ)");
  return parts.join(", ");
}

export function formatSent(message: SentMessage, c: ChalkInstance): string {
  const where = message.group !== null ? ` · group ${message.group}${message.seq !== null ? ` seq ${message.seq}` : ""}` : "";
  const asks = message.directives ? describeDirectives(message.directives) : "";
  return c.dim(`→ #${message.index} sent${where}${asks ? ` · ${asks}` : ""}${message.id === null ? " · no id: matched by group order" : ""}`);
}

/** Local wall-clock time with milliseconds, for the /time prefix. */
export function formatClock(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function formatResult(event: Extract<SessionEvent, { type: "result" }>, c: ChalkInstance, options: { pretty?: boolean } = {}): string {
  const r = event.result;
  // Pretty mode puts structured data on its own indented lines after the timing.
  const prettyData = options.pretty === true && typeof r.data === "object" && r.data !== null;
  const parts = [c.cyan(`← ${label(event.message)}`)];
  if (!prettyData) parts.push(formatData(r.data));
  const timing = [`${formatMs(event.rttMs)} round trip`, `${formatMs(r.queueWaitMs)} in queue`];
  if (r.receiveCount > 1) timing.push(`delivery ${r.receiveCount}`);
  const consumer = r.consumer;
  if (consumer !== undefined) {
    if (consumer.requestedWorkMs !== null)
      timing.push(
        `worked ${consumer.workMs} ms${consumer.workMs < consumer.requestedWorkMs ? ` of ${consumer.requestedWorkMs} (capped under the function's timeout)` : ""}`,
      );
    if (consumer.fail === "once" && r.receiveCount > 1) timing.push("its first delivery failed as directed");
    if (consumer.redriven) timing.push(`redriven from the DLQ${consumer.fail !== null ? `: "fail":"${consumer.fail}" was void` : ""}`);
  }
  parts.push(c.dim(`(${timing.join(" · ")})`));
  if (event.outOfOrder) parts.push(c.yellow(`⚠ out of order in group ${r.group}: queued before seq ${event.overtakenBySeq ?? "?"}, which was answered first`));
  if (event.reorderedBeforeQueue)
    parts.push(c.dim(`(reached the queue after seq ${event.queuedAfterSeq}, sent later: API Gateway promises no order before the queue)`));
  if (event.duplicate) parts.push(c.yellow("⚠ duplicate: this message already had a result"));
  if (consumer?.directiveError) parts.push(c.yellow(`(directives ignored: ${consumer.directiveError})`));
  if (event.correlatedBy === "none") parts.push(c.yellow(r.id ? `(id ${r.id} was not sent by this session)` : "(no id: cannot tell which message it answers)"));
  const line = parts.join(" ");
  if (!prettyData) return line;
  const body = JSON.stringify(r.data, null, 2)
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
  return `${line}\n${body}`;
}

const REFUSAL_TEXT: Record<Refusal, string> = {
  "queue-throttle":
    "throttled at the queue: API Gateway could not queue it (SQS takes 300 SendMessage/s per group on a high-throughput FIFO queue, 300/s in all otherwise)",
  "stage-throttle": "throttled by API Gateway's stage (its rate limit), before the queue",
  refused: "refused by API Gateway",
};

export function formatApiError(event: Extract<SessionEvent, { type: "api-error" }>, c: ChalkInstance): string {
  const request = event.error.requestId ? c.dim(` (request ${event.error.requestId})`) : "";
  const refusal = event.message?.refusal;
  if (event.message && refusal !== undefined) {
    const paint = refusal === "refused" ? c.red : c.yellow;
    return `${paint(`✖ #${event.message.index} ${REFUSAL_TEXT[refusal]}:`)} "${event.error.message}"${request}`;
  }
  const why = c.dim(" · API Gateway does not say which message failed, and several are pending; counted when the run ends");
  return `${c.red("✖ API Gateway error:")} ${event.error.message}${request}${why}`;
}

export function formatClose(event: Extract<SessionEvent, { type: "close" }>, c: ChalkInstance): string {
  const reason = event.reason ? `: "${event.reason}"` : "";
  const head = event.byClient
    ? c.dim(`connection closed (${event.code} ${event.meaning})`)
    : c.red(`✖ connection lost: ${event.code} ${event.meaning}${reason}`);
  if (event.orphaned.length === 0) return head;
  const ids = event.orphaned
    .slice(0, 10)
    .map((m) => `#${m.index}`)
    .join(", ");
  return `${head}\n${c.yellow(`  ${event.orphaned.length} message${event.orphaned.length === 1 ? "" : "s"} (${ids}${event.orphaned.length > 10 ? ", …" : ""}) will get no result: results go back only to the connection that sent them.`)}`;
}

export function formatStats(stats: SessionStats, c: ChalkInstance): string {
  const rt = stats.roundTrip;
  const lines = [
    `${c.bold("sent")} ${stats.sent} · ${c.bold("answered")} ${stats.answered} · ${c.bold("pending")} ${stats.pending}` +
      (stats.throttled ? ` · throttled ${stats.throttled}` : "") +
      (stats.failed ? ` · failed ${stats.failed}` : "") +
      (stats.orphaned ? ` · lost on a closed connection ${stats.orphaned}` : ""),
    `round trip: p50 ${formatMs(rt.p50Ms)} · p99 ${formatMs(rt.p99Ms)} · max ${formatMs(rt.maxMs)} (${rt.count} results)`,
    `out of order ${stats.outOfOrder} · duplicates ${stats.duplicates} · error frames ${stats.errorFrames}` +
      ` · reordered before the queue ${stats.reorderedBeforeQueue} (information)`,
  ];
  return lines.join("\n");
}

export const HELP_TEXT = `Type a message and press Enter: plain text is sent as {"action":"send","id":…,"MessageGroupId":…,"seq":…,"data":"<text>"};
a line starting with { or [ is sent exactly as typed (a pasted multi-line object is read until its brackets close).
  /help            this help
  /json [on|off]   show raw frames in and out
  /pretty [on|off] print structured result data indented over several lines
  /time [on|off]   prefix each printed line with the local time (ms)
  /group [NAME]    show or set the MessageGroupId for the next messages
  /work MS         the next message takes MS ms in the built-in handler (0 clears it)
  /fail [once|always|off]  the next message fails its first delivery (once, the default) or every one (always: the DLQ)
  /burst N         send N messages at once and watch them come back
  /stats           sent, answered, pending, round-trip p50/p99
  /ping            WebSocket ping round trip
  /text LINE       send LINE as plain text even if it looks like JSON
  /reconnect       close and open a new connection (a new connection id)
  /quit            close and leave (also Ctrl-D, or Ctrl-C on an empty line)`;
