import type { ChalkInstance } from "chalk";
import { concurrencyLimit, type ConsumerSettings, type DrainPrediction } from "../consumer.js";
import type { BurstConfig, BurstReport } from "../types.js";
import type { LiveSnapshot } from "../run-burst.js";
import { fmtCount, fmtMs, listSome } from "./format.js";

/** The consumer's side in words: before sending, in the live view and in the summary. Pure. */

function plural(n: number, one: string, many = `${one}s`): string {
  return `${fmtCount(n)} ${n === 1 ? one : many}`;
}

/** The mapping's bounds, as read: "batches of 10, MaximumConcurrency 10". */
export function describeSettings(settings: ConsumerSettings): string {
  const parts: string[] = [];
  if (settings.batchSize !== null) parts.push(`batches of up to ${settings.batchSize}`);
  const limit = concurrencyLimit(settings);
  if (settings.maximumConcurrency !== null) parts.push(`MaximumConcurrency ${settings.maximumConcurrency}`);
  if (settings.reservedConcurrency !== null) parts.push(`reserved concurrency ${settings.reservedConcurrency}`);
  if (settings.localEnvironmentLimit !== null && limit === settings.localEnvironmentLimit && settings.maximumConcurrency !== limit) {
    parts.push(`the local cloud's ${settings.localEnvironmentLimit} environments per function`);
  }
  if (settings.visibilityTimeoutSeconds !== null) parts.push(`visibility timeout ${settings.visibilityTimeoutSeconds} s`);
  if (settings.maxReceiveCount !== null) parts.push(`maxReceiveCount ${settings.maxReceiveCount}`);
  return parts.join(", ");
}

/** How the prediction was reached, in one line. */
export function describePrediction(p: DrainPrediction, count: number, groups: number): string {
  const work = `${fmtCount(count - p.failAlways)} × ${fmtMs(p.workMs)} ÷ ${plural(p.lanes, "group")} in parallel = ${fmtMs(p.spreadMs)}`;
  const longest = `busiest group ${fmtMs(p.longestGroupMs)}${p.failOnce + p.failAlways > 0 ? " with its failures' waits" : ""}`;
  const bound =
    p.bound === "sending"
      ? "bounded by the sending"
      : p.bound === "groups"
        ? groups > p.lanes
          ? "bounded by the busiest group"
          : "one group after another"
        : "bounded by the concurrency";
  return `${work}; ${longest}; ${bound}`;
}

/** Said before sending (stderr): what the messages ask of the consumer, and the drain that predicts. */
export function describeConsumerPlan(config: BurstConfig): string[] {
  const consumer = config.consumer;
  if (!consumer || consumer.prediction === null) return [];
  const f = consumer.flags;
  const p = consumer.prediction;
  const asks: string[] = [];
  if (f.workMs > 0) asks.push(`every message takes ${fmtMs(f.workMs)}`);
  if (f.failRate > 0)
    asks.push(
      `${plural(consumer.failAlways.length, "message")} fail${consumer.failAlways.length === 1 ? "s" : ""} on every delivery (--fail-rate ${f.failRate})`,
    );
  if (f.failOnceRate > 0)
    asks.push(`${plural(consumer.failOnce.length, "message")} fail${consumer.failOnce.length === 1 ? "s" : ""} once (--fail-once-rate ${f.failOnceRate})`);
  const lines = [`consumer: ${asks.join("; ")}${f.failRate + f.failOnceRate > 0 ? `; drawn with --seed ${f.seed}` : ""}`];
  const settings = describeSettings(consumer.settings);
  lines.push(`predicted drain ${fmtMs(p.drainMs)}: ${describePrediction(p, config.count, config.groups)}${settings ? ` (${settings})` : ""}`);
  if (p.failAlways > 0 && p.deadLetterAfterMs !== null) {
    lines.push(
      `a message that always fails blocks its group for ${fmtMs(p.deadLetterAfterMs)} (maxReceiveCount × visibility timeout) before SQS dead-letters it`,
    );
  }
  for (const caveat of p.caveats) lines.push(`note: ${caveat}`);
  if (config.timeoutMs > 60_000) lines.push(`waiting up to ${fmtMs(config.timeoutMs)} for the consumer (--timeout sets it)`);
  else if (p.drainMs > config.timeoutMs) lines.push(`warning: --timeout ${fmtMs(config.timeoutMs)} is shorter than the predicted drain`);
  return lines;
}

/** The live view's consumer line. */
export function liveConsumerLine(s: LiveSnapshot, config: BurstConfig | undefined): string | null {
  const c = s.consumer;
  const settings = config?.consumer?.settings;
  const limit = settings ? concurrencyLimit(settings) : null;
  const parts: string[] = [];
  if (c.busyEnvironments !== null) parts.push(`batches in flight ${c.busyEnvironments}${limit !== null ? `/${limit}` : ""} (environments answering)`);
  else if (limit !== null) parts.push(`concurrency up to ${limit}`);
  if (c.retried > 0) parts.push(`retried ${fmtCount(c.retried)}`);
  if (c.movedToDlq !== null && (c.movedToDlq > 0 || (config?.consumer?.failAlways.length ?? 0) > 0)) parts.push(`moved to the DLQ ${fmtCount(c.movedToDlq)}`);
  return parts.length > 0 ? parts.join("  ") : null;
}

/** The summary's "Consumer" block. */
export function consumerSummary(report: BurstReport, color: ChalkInstance): string[] {
  const figures = report.consumer;
  if (!figures) return [];
  const lines: string[] = [];
  const config = figures.config;
  const prediction = config?.prediction ?? null;
  const settings = config ? describeSettings(config.settings) : "";
  if (figures.environments === null && prediction === null && !settings) return [];
  lines.push(color.bold("Consumer") + (settings ? color.dim(`  ${settings}`) : ""));
  if (prediction !== null) {
    const error = figures.predictionError;
    const verdict =
      error === null ? "" : ` (${error >= 0 ? "+" : ""}${Math.round(error * 100)}%${Math.abs(error) <= 0.25 ? "" : color.yellow(": off by more than 25%")})`;
    lines.push(`  drain      predicted ${fmtMs(prediction.drainMs)}, measured ${fmtMs(figures.measuredDrainMs)}${verdict}`);
    // What each message cost beyond its directed work, along the bound (a group, or a lane): the consumer's own cost.
    if (figures.measuredDrainMs !== null && prediction.failAlways + prediction.failOnce === 0 && prediction.bound !== "sending") {
      const serial = Math.ceil(report.config.count / (prediction.bound === "groups" ? report.config.groups : prediction.lanes));
      const beyond = (figures.measuredDrainMs - prediction.drainMs) / Math.max(1, serial);
      if (beyond > 0)
        lines.push(
          color.dim(`             about ${fmtMs(beyond)} a message beyond its work, ${fmtCount(serial)} messages in a row (receive, post back, delete)`),
        );
    }
    lines.push(
      color.dim(
        `             ${describePrediction(prediction, report.config.count, report.config.groups)}; measured from the first send to the last answer or dead letter`,
      ),
    );
  }
  if (figures.environments !== null) {
    const peak = figures.peakConcurrentInvocations;
    lines.push(
      `  batches    ${figures.invocations === null ? "-" : fmtCount(figures.invocations)} invocations in ${plural(figures.environments, "environment")}` +
        (peak !== null ? `, at most ${peak} at once` : "") +
        (figures.meanBatchSize !== null ? `, ${figures.meanBatchSize} record${figures.meanBatchSize === 1 ? "" : "s"} each on average` : ""),
    );
  }
  const v = report.verification;
  if (v.retried > 0) {
    const directed = v.retriedDirected ?? 0;
    lines.push(
      `  retried    ${fmtCount(v.retried)}` +
        color.dim(
          directed > 0
            ? `  ${fmtCount(directed)} directed to fail once, answered on the retry; the rest were behind a failure of their group in its batch`
            : "  answered on a later delivery (receive count above 1)",
        ),
    );
  }
  if (figures.movedToDlq !== null)
    lines.push(`  to the DLQ ${fmtCount(figures.movedToDlq)} during the run` + color.dim(` (the DLQ's depth, first to last poll)`));
  return [...lines, ""];
}

/** The verification line for dead-lettered messages. */
export function deadLetterLine(report: BurstReport, color: ChalkInstance): string | null {
  const v = report.verification;
  const dead = v.deadLettered ?? [];
  const hidden = v.dlqHidden ?? [];
  if (dead.length + hidden.length === 0 && (report.config.consumer?.failAlways.length ?? 0) === 0) return null;
  const unexpected = new Set(v.deadLetteredUnexpected ?? []);
  const failAlways = new Set(report.config.consumer?.failAlways ?? []);
  const directed = dead.filter((id) => failAlways.has(id));
  const withThem = dead.filter((id) => !failAlways.has(id) && !unexpected.has(id));
  const mark = unexpected.size > 0 ? color.red("✗") : color.green("✓");
  const parts: string[] = [];
  if (directed.length > 0) parts.push(`${directed.length} directed to fail always (${listSome(directed)})`);
  if (withThem.length > 0)
    parts.push(`${withThem.length} in a batch with one of those (${listSome(withThem)}): Lambda hands a failing FIFO group's batch back whole`);
  if (hidden.length > 0)
    parts.push(
      `${hidden.length} more not seen but taken as there: their group filled the 10 a FIFO DLQ shows at a time (${listSome(hidden)}; \`wsq dlq list\`)`,
    );
  if (unexpected.size > 0) parts.push(`${unexpected.size} in groups nothing was directed to fail in (${listSome([...unexpected])})`);
  const missing = [...failAlways].filter((id) => !dead.includes(id) && !hidden.includes(id) && !(v.directedButAnswered ?? []).includes(id));
  if (missing.length > 0) parts.push(color.yellow(`${missing.length} directed to fail not found there (${listSome(missing)})`));
  const answered = v.directedButAnswered ?? [];
  if (answered.length > 0) parts.push(color.yellow(`${answered.length} directed to fail were answered (does the function honour directives?)`));
  return `  ${mark} ${"dead-lettered".padEnd(13)} ${String(dead.length + hidden.length).padStart(6)}  ${parts.join("; ")}`;
}
