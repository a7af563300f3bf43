import asciichart from "asciichart";
import type { ChalkInstance } from "chalk";
import type { BurstReport, LatencyStats } from "../types.js";
import type { QuotaCheck } from "../quota.js";
import { fmtBytes, fmtCount, fmtLatency, fmtMs, fmtRate, listSome, rateLabel } from "./format.js";
import { consumerSummary, deadLetterLine } from "./consumer.js";

/** The end-of-run summary as text, from the report alone (the same data --json prints). */
export function renderSummary(report: BurstReport, color: ChalkInstance, width = 80): string {
  const lines: string[] = [];
  const c = report.config;
  const v = report.verification;
  const outcome =
    report.outcome === "complete"
      ? color.green("complete")
      : report.outcome === "timeout"
        ? color.red(`timed out after ${fmtMs(c.timeoutMs)}`)
        : report.outcome === "interrupted"
          ? color.yellow("interrupted (Ctrl-C)")
          : report.outcome === "queue-empty"
            ? v.ok
              ? color.green("complete: the queue drained, every message answered or dead-lettered as directed")
              : color.red("stopped waiting: the queue read empty with messages still unanswered")
            : color.red("every connection closed");
  lines.push(
    color.bold(`wsq burst`) +
      ` ${fmtCount(c.count)} messages over ${c.activeConnections} connection${c.activeConnections === 1 ? "" : "s"}, ${c.groups} group${c.groups === 1 ? "" : "s"}, rate ${rateLabel(c.rate)}${c.autoRate ? " (auto)" : ""}, ${fmtBytes(c.size)} each`,
  );
  lines.push(color.dim(`  ${c.url}${c.queueUrl ? `  queue ${c.queueUrl}` : ""}`));
  if (c.quota) lines.push(quotaLine(c.quota, color));
  lines.push(`  ${outcome}${report.outcome === "timeout" ? "" : ` in ${fmtMs(report.durationMs)}`} (connections opened in ${fmtMs(report.connectMs)})`);
  lines.push("");

  lines.push(color.bold("Throughput"));
  lines.push(`  sent       ${fmtCount(report.counts.sent).padStart(8)}   ${fmtRate(report.rates.sendPerSecond)}`);
  lines.push(
    `  answered   ${fmtCount(report.counts.answered).padStart(8)}   processing ${fmtRate(report.rates.processPerSecond)}, whole burst ${fmtRate(report.rates.throughputPerSecond)}`,
  );
  const q = report.queue;
  if (q.polled && q.peakDepth !== null) {
    lines.push(
      `  queue      peak depth ${fmtCount(q.peakDepth)} (visible ${fmtCount(q.peakVisible)}, in flight ${fmtCount(q.peakInFlight)}) at ${fmtMs(q.peakAt)}`,
    );
  } else if (q.polled) {
    lines.push(`  queue      no depth sample (see errors)`);
  } else {
    lines.push(color.dim(`  queue      not watched (pass --queue-url, or --stack-name to find it)`));
  }
  lines.push(
    `  drain      ${q.drainMs === null ? "-" : fmtMs(q.drainMs)} from the last send to the last result` +
      (q.queueEmptyAfterSendMs !== null ? `; queue read empty ${fmtMs(q.queueEmptyAfterSendMs)} after it` : ""),
  );
  lines.push(
    color.dim(
      `  (FIFO runs one batch per message group at a time: with ${c.groups} group${c.groups === 1 ? "" : "s"}, at most ${c.groups} batch${c.groups === 1 ? "" : "es"} at once; more --groups, more parallelism)`,
    ),
  );
  lines.push("");
  lines.push(...consumerSummary(report, color));

  lines.push(
    color.bold("Latency (ms)".padEnd(20)) + color.dim(["n".padStart(7), ...["min", "p50", "p90", "p99", "p99.9", "max"].map((h) => h.padStart(8))].join("")),
  );
  const row = (label: string, s: LatencyStats, note = "") =>
    `  ${label.padEnd(18)}${String(s.count).padStart(7)}${[s.min, s.p50, s.p90, s.p99, s.p999, s.max].map((x) => fmtLatency(x).padStart(8)).join("")}${note ? color.dim(`  ${note}`) : ""}`;
  lines.push(row("end to end", report.latency.endToEnd, c.rate.kind === "max" ? "from the burst's start" : "from the scheduled send"));
  lines.push(row("  client delay", report.latency.clientDelay, "scheduled → written"));
  lines.push(row("  from write", report.latency.fromWrite, "written → result"));
  lines.push(row("    queue wait", report.latency.queueWait, "handler's queueWaitMs"));
  lines.push(row("    outside queue", report.latency.outsideQueue, "network, API, handler, post back"));
  lines.push("");

  const depth = q.samples.map((s) => s.visible + s.inFlight);
  if (depth.length >= 2 && Math.max(...depth) > 0) {
    lines.push(color.bold("Queue depth") + color.dim(` (visible + in flight, one point per ${Math.round(c.pollIntervalMs)} ms poll)`));
    lines.push(asciichart.plot(downsample(depth, Math.max(10, width - 14)), { height: 8, format: (x) => String(Math.round(x)).padStart(7) }));
    lines.push("");
  }

  lines.push(color.bold("Verification"));
  if (v.ok && report.outcome === "complete") {
    lines.push(`  ${color.green("✓")} every message answered exactly once, in the queue's order within its group, on the connection that sent it`);
  } else if (v.ok && report.outcome === "queue-empty") {
    lines.push(
      `  ${color.green("✓")} every message answered exactly once, in the queue's order within its group, on the connection that sent it, or dead-lettered as directed`,
    );
  } else if (v.ok) {
    lines.push(`  ${color.yellow("!")} nothing lost, throttled, duplicated or out of order among what was sent before the run stopped`);
  }
  const bad = (label: string, n: number, detail: string) =>
    lines.push(`  ${n === 0 ? color.green("✓") : color.red("✗")} ${label.padEnd(13)} ${String(n).padStart(6)}${n > 0 ? `  ${detail}` : ""}`);
  bad("lost", v.lost.length, listSome(v.lost));
  const dead = deadLetterLine(report, color);
  if (dead !== null) lines.push(dead);
  else if (v.lostInDlq.length > 0) bad("dead-lettered", v.lostInDlq.length, listSome(v.lostInDlq));
  const throttled = v.throttled.queue.length + v.throttled.stage.length;
  bad(
    "throttled",
    throttled,
    [
      v.throttled.queue.length > 0 ? `${v.throttled.queue.length} by the queue's FIFO quota (${listSome(v.throttled.queue)})` : "",
      v.throttled.stage.length > 0 ? `${v.throttled.stage.length} by API Gateway's stage throttle (${listSome(v.throttled.stage)})` : "",
    ]
      .filter((part) => part !== "")
      .join("; ") + ": never queued, not lost",
  );
  if (v.refused.length > 0) bad("refused", v.refused.length, `${listSome(v.refused)}: API Gateway's error frame named no throttling`);
  bad("duplicated", v.duplicated.length, listSome(v.duplicated.map((d) => `${d.id} ×${d.count}`)));
  bad("out of order", v.orderViolations.length, listSome(v.orderViolations.map((o) => `${o.id} (queued after ${o.afterId}, answered before it)`)));
  const reordered = v.sendOrderReorderings.length;
  const reorderDetail = listSome(v.sendOrderReorderings.map((o) => `${o.id} (seq ${o.seq} after ${o.afterSeq})`));
  if (v.strictSendOrder) bad("send order", reordered, `reached the queue out of send order (--strict-send-order): ${reorderDetail}`);
  else {
    lines.push(
      `  ${color.dim("i")} ${"send order".padEnd(13)} ${String(reordered).padStart(6)}  ${color.dim(
        reordered === 0
          ? "every answered message reached the queue in the order it was sent"
          : `reached the queue out of send order, before the queue (API Gateway promises no order there; information): ${reorderDetail}`,
      )}`,
    );
  }
  bad("misrouted", v.misrouted.length, listSome(v.misrouted.map((m) => `${m.id} (sent on #${m.sentOn}, came on #${m.arrivedOn})`)));
  bad("conn. ids", v.connectionIdConflicts.length, listSome(v.connectionIdConflicts.map((x) => `#${x.connection}: ${x.connectionIds.join("/")}`)));
  if (v.lostOnClosed.length > 0) {
    lines.push(
      color.yellow(
        `  ! ${v.lostOnClosed.length} of the lost were written on connections that closed early: their results had nowhere to go, so the queue may still hold them or the function may have processed them (\`wsq status\` shows the queue)`,
      ),
    );
  }
  if (v.notSent.length > 0) lines.push(color.yellow(`  ! ${v.notSent.length} message(s) never written (their connection failed or closed)`));
  if (v.unexpected.length > 0) lines.push(color.dim(`  ${v.unexpected.length} result(s) for messages this run did not send (ignored)`));
  if (v.retried > 0 && report.consumer === undefined) lines.push(color.dim(`  ${v.retried} result(s) came from a retry (receive count > 1)`));
  lines.push("");

  const e = report.errors;
  const errorParts: string[] = [];
  if (e.connectFailures.length > 0) errorParts.push(`${e.connectFailures.length} connection(s) failed to open (${e.connectFailures[0]?.message})`);
  const refusedConnections = e.connectFailures.filter((f) => /HTTP 429/.test(f.message)).length;
  if (refusedConnections > 0) errorParts.push(`${refusedConnections} connection(s) refused with 429 (API Gateway's new connections per second)`);
  if (e.errorFrames.length > 0) errorParts.push(`${e.errorFrames.length} error frame(s) ("${e.errorFrames[0]?.message}")`);
  if (e.closes.length > 0) {
    const first = e.closes[0];
    errorParts.push(`${e.closes.length} connection(s) closed early${first ? ` (${first.code}: ${first.meaning})` : ""}`);
  }
  if (e.sendErrors > 0) errorParts.push(`${e.sendErrors} send error(s)`);
  if (e.otherFrames > 0) errorParts.push(`${e.otherFrames} unrecognized frame(s)`);
  if (e.queuePollErrors.length > 0) errorParts.push(`queue polling failed ${e.queuePollErrors.length}× (${e.queuePollErrors[0]?.message})`);
  lines.push(`${color.bold("Errors")}  ${errorParts.length === 0 ? "none" : color.red(errorParts.join("; "))}`);

  if (report.dlq) {
    const d = report.dlq;
    const depthText = d.depth ? `${fmtCount(d.depth.visible + d.depth.inFlight)} message(s)` : "unknown";
    const found = d.lostIds.length > 0 ? `; this run's unanswered messages found there: ${listSome(d.lostIds)}` : "";
    lines.push(
      `${color.bold("DLQ")}     ${depthText}${found}${d.partial ? color.dim(" (not every DLQ message could be inspected)") : ""}${d.error ? color.red(` (${d.error})`) : ""}`,
    );
  }
  return lines.join("\n");
}

/** What the queue takes, and whether the burst's plan stayed under it. */
function quotaLine(q: QuotaCheck, color: ChalkInstance): string {
  const takes =
    q.mode === "high-throughput"
      ? `high-throughput FIFO queue: ${q.quotaPerSecond} SendMessage/s per message group`
      : q.mode === "per-queue"
        ? `FIFO queue: ${q.quotaPerSecond} SendMessage/s in all`
        : q.mode === "standard"
          ? "standard queue: no throughput quota"
          : `queue mode unknown: taken as a FIFO queue's ${q.quotaPerSecond} SendMessage/s in all`;
  const plan =
    q.scope === null ? "" : `; the plan put at most ${fmtCount(q.peakPerSecond)} within one second on ${q.scope === "group" ? "one group" : "the queue"}`;
  const verdict = q.ok
    ? color.green("within the quota")
    : color.yellow(`over it${q.predictedThrottled > 0 ? ` (about ${fmtCount(q.predictedThrottled)} predicted throttled)` : ""}`);
  return `  ${color.dim(takes + plan + ":")} ${verdict}`;
}

/** At most `n` points, keeping each bucket's maximum so that peaks survive. */
export function downsample(values: readonly number[], n: number): number[] {
  if (values.length <= n) return [...values];
  const out: number[] = [];
  const step = values.length / n;
  for (let i = 0; i < n; i++) {
    let max = 0;
    for (let j = Math.floor(i * step); j < Math.floor((i + 1) * step); j++) max = Math.max(max, values[j] ?? 0);
    out.push(max);
  }
  return out;
}
