import { FIFO_TPS_PER_ACTION, FIFO_TPS_PER_MESSAGE_GROUP, HIGH_THROUGHPUT_FIFO_TPS, HIGH_THROUGHPUT_FIFO_TPS_OTHER_REGIONS } from "../../local/sqs/limits.js";
import type { PlannedMessage, Rate } from "./plan.js";

/**
 * What a FIFO queue takes, and what a burst's plan would put on it, before the first frame is sent
 * (pure). API Gateway's SQS integration makes one SendMessage per frame, so the plan's schedule is
 * the queue's SendMessage schedule. SQS takes 300 SendMessage calls per second per queue, or per
 * message group in high-throughput mode (DeduplicationScope=messageGroup and
 * FifoThroughputLimit=perMessageGroupId), up to the Region's figure for the whole queue ("Amazon SQS
 * message quotas"; docs/sqs.md, "FIFO throughput quotas"). Above that SQS throttles the call and
 * the client gets API Gateway's error frame: the message is not queued.
 */

export type QueueMode = "high-throughput" | "per-queue" | "standard" | "unknown";

/** The queue attributes that decide which quota applies (GetQueueAttributes). */
export interface QueueThroughputAttributes {
  FifoQueue?: string;
  DeduplicationScope?: string;
  FifoThroughputLimit?: string;
}

export function queueModeOf(attributes: QueueThroughputAttributes | null): QueueMode {
  if (attributes === null) return "unknown";
  if (attributes.FifoQueue !== "true") return "standard";
  return attributes.DeduplicationScope === "messageGroup" && attributes.FifoThroughputLimit === "perMessageGroupId" ? "high-throughput" : "per-queue";
}

/** The Region's SendMessage figure for a whole high-throughput queue. */
export function highThroughputQueueQuota(region: string | undefined): number {
  return (region !== undefined ? HIGH_THROUGHPUT_FIFO_TPS[region] : undefined) ?? HIGH_THROUGHPUT_FIFO_TPS_OTHER_REGIONS;
}

/**
 * The default pacing keeps each quota at this share of its rate: frames bunched by the client's
 * timers, the network or API Gateway must not push a bucket over, and AWS documents no burst
 * allowance to absorb them (docs/burst.md, "Defaults a FIFO queue can take").
 */
export const PACING_SHARE = 0.8;

/** API Gateway's stage throttle (DefaultRouteSettings), when the stack says what it is. */
export interface StageLimits {
  ratePerSecond: number;
  burst: number;
}

export interface QuotaCheck {
  mode: QueueMode;
  region: string | null;
  /** "group" in high-throughput mode, "queue" otherwise; null on a standard queue (no quota). */
  scope: "group" | "queue" | null;
  /** The quota of one bucket (SendMessage calls per second), null without one. */
  quotaPerSecond: number | null;
  /** The whole high-throughput queue's figure in its Region. */
  queueQuotaPerSecond: number | null;
  /** Most SendMessage calls the plan puts on one bucket within any one second, and which bucket. */
  peakPerSecond: number;
  busiest: string | null;
  /**
   * Frames the plan's schedule would get throttled, counted with the local cloud's model of the
   * quota (a bucket holding one second of its rate, starting full). AWS documents no burst, so on
   * AWS any plan whose peak exceeds the quota may be throttled.
   */
  predictedThrottled: number;
  /** The stage's throttle, when known, and the frames it would refuse under the same model. */
  stage: (StageLimits & { predictedThrottled: number }) | null;
  /** True when the plan stays within every quota it is checked against. */
  ok: boolean;
  /** What to change, with numbers, when it does not. */
  fixes: string[];
  /** Why the queue's mode is unknown (no queue URL, GetQueueAttributes failed). */
  note: string | null;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A token bucket per key, full at first, holding `capacity` and refilled at `ratePerSecond`; counts refusals. */
function simulate(messages: readonly PlannedMessage[], keyOf: (m: PlannedMessage) => string, ratePerSecond: number, capacity: number): Set<number> {
  const buckets = new Map<string, Bucket>();
  const refused = new Set<number>();
  for (const m of messages) {
    const key = keyOf(m);
    const bucket = buckets.get(key) ?? { tokens: capacity, at: m.dueMs };
    const tokens = Math.min(capacity, bucket.tokens + ((m.dueMs - bucket.at) / 1000) * ratePerSecond);
    if (tokens >= 1) buckets.set(key, { tokens: tokens - 1, at: m.dueMs });
    else {
      buckets.set(key, { tokens, at: m.dueMs });
      refused.add(m.index);
    }
  }
  return refused;
}

/** Most messages of one key within any one-second window of the schedule. */
function peakPerSecond(messages: readonly PlannedMessage[], keyOf: (m: PlannedMessage) => string): { peak: number; key: string | null } {
  const times = new Map<string, number[]>();
  for (const m of messages) {
    const list = times.get(keyOf(m));
    if (list) list.push(m.dueMs);
    else times.set(keyOf(m), [m.dueMs]);
  }
  let peak = 0;
  let busiest: string | null = null;
  for (const [key, list] of times) {
    list.sort((a, b) => a - b);
    let lo = 0;
    for (let hi = 0; hi < list.length; hi++) {
      while ((list[hi] as number) - (list[lo] as number) >= 1000) lo++;
      if (hi - lo + 1 > peak) {
        peak = hi - lo + 1;
        busiest = key;
      }
    }
  }
  return { peak, key: busiest };
}

export interface QuotaCheckInput {
  messages: readonly PlannedMessage[];
  groups: number;
  rate: Rate;
  mode: QueueMode;
  region: string | undefined;
  stage: StageLimits | null;
  note?: string | null;
}

/** Checks the plan against the queue's quota (and the stage's throttle, when known) before sending. */
export function checkQuota(input: QuotaCheckInput): QuotaCheck {
  const { messages, mode } = input;
  const highThroughput = mode === "high-throughput";
  // Without the queue's attributes, the stricter assumption: a normal FIFO queue.
  const perQueue = mode === "per-queue" || mode === "unknown";
  const scope: QuotaCheck["scope"] = highThroughput ? "group" : perQueue ? "queue" : null;
  const quotaPerSecond = highThroughput ? FIFO_TPS_PER_MESSAGE_GROUP : perQueue ? FIFO_TPS_PER_ACTION : null;
  const queueQuotaPerSecond = highThroughput ? highThroughputQueueQuota(input.region) : null;
  const keyOf = highThroughput ? (m: PlannedMessage) => m.group : () => "the queue";
  const peak = scope === null ? { peak: 0, key: null } : peakPerSecond(messages, keyOf);
  const refused = new Set<number>();
  if (quotaPerSecond !== null) for (const i of simulate(messages, keyOf, quotaPerSecond, quotaPerSecond)) refused.add(i);
  if (queueQuotaPerSecond !== null) for (const i of simulate(messages, () => "queue", queueQuotaPerSecond, queueQuotaPerSecond)) refused.add(i);
  const stageRefused = input.stage === null ? 0 : simulate(messages, () => "stage", input.stage.ratePerSecond, input.stage.burst).size;
  const queuePeak = queueQuotaPerSecond === null ? 0 : peakPerSecond(messages, () => "queue").peak;
  const overQueue =
    quotaPerSecond !== null && (peak.peak > quotaPerSecond || refused.size > 0 || (queueQuotaPerSecond !== null && queuePeak > queueQuotaPerSecond));
  const fixes: string[] = [];
  if (overQueue) fixes.push(...queueFixes(input, quotaPerSecond, queueQuotaPerSecond));
  if (stageRefused > 0 && input.stage !== null) {
    fixes.push(
      `stay under the stage's throttle (${input.stage.ratePerSecond}/s, burst ${input.stage.burst}): --rate ${Math.floor(input.stage.ratePerSecond * PACING_SHARE)}, ` +
        `or raise it (wsq deploy --parameter ThrottlingRateLimit=… --parameter ThrottlingBurstLimit=…)`,
    );
  }
  return {
    mode,
    region: input.region ?? null,
    scope,
    quotaPerSecond,
    queueQuotaPerSecond,
    peakPerSecond: peak.peak,
    busiest: peak.key,
    predictedThrottled: refused.size,
    stage: input.stage === null ? null : { ...input.stage, predictedThrottled: stageRefused },
    ok: !overQueue && stageRefused === 0,
    fixes,
    note: input.note ?? null,
  };
}

function queueFixes(input: QuotaCheckInput, quota: number | null, queueQuota: number | null): string[] {
  if (quota === null) return [];
  const count = input.messages.length;
  const fixes: string[] = [];
  if (input.mode === "high-throughput") {
    if (input.rate.kind === "fixed") {
      fixes.push(`more groups: --groups ${Math.ceil(input.rate.perSecond / (quota * PACING_SHARE))} or more at --rate ${input.rate.perSecond}`);
      fixes.push(`a lower rate: --rate ${Math.floor(input.groups * quota * PACING_SHARE)} or less over ${input.groups} group(s)`);
    } else {
      // All due at once: each group must hold no more than one second of its quota.
      fixes.push(`a paced rate: --rate ${Math.floor(Math.min(input.groups * quota, queueQuota ?? Infinity) * PACING_SHARE)} (or leave --rate out)`);
      fixes.push(`more groups: --groups ${Math.ceil(count / quota)} or more, so that no group gets over ${quota} at once`);
    }
  } else {
    fixes.push(`a lower rate: --rate ${Math.floor(quota * PACING_SHARE)} or less (groups do not help: the quota is the queue's)`);
    fixes.push(
      "high-throughput mode, where the quota is per message group: DeduplicationScope=messageGroup and FifoThroughputLimit=perMessageGroupId " +
        "(the template wsq deploys sets both; `wsq deploy` updates an older stack)",
    );
  }
  return fixes;
}

/**
 * The default pacing (--rate auto): the fastest even schedule that keeps every quota at
 * PACING_SHARE of its rate. High-throughput: each of the groups gets `perSecond / groups`, within
 * the Region's figure for the queue. A normal FIFO queue, or one whose mode is unknown: 300/s in
 * all, however many groups. A standard queue has no quota. The stage's throttle caps it too, when
 * the burst is larger than the stage's burst allowance.
 */
export function autoRate(mode: QueueMode, groups: number, count: number, region: string | undefined, stage: StageLimits | null): Rate {
  let perSecond = Infinity;
  if (mode === "high-throughput") perSecond = Math.min(groups * FIFO_TPS_PER_MESSAGE_GROUP, highThroughputQueueQuota(region)) * PACING_SHARE;
  else if (mode === "per-queue" || mode === "unknown") perSecond = FIFO_TPS_PER_ACTION * PACING_SHARE;
  if (stage !== null && count > stage.burst * PACING_SHARE) perSecond = Math.min(perSecond, stage.ratePerSecond * PACING_SHARE);
  return Number.isFinite(perSecond) ? { kind: "fixed", perSecond: Math.max(1, Math.floor(perSecond)) } : { kind: "max" };
}

/** One line per finding, for the warning printed before sending. */
export function describeQuotaCheck(check: QuotaCheck, count: number, rate: Rate): string[] {
  if (check.ok) return [];
  const lines: string[] = [];
  const pace = rate.kind === "max" ? "all at once (--rate max)" : `at ${rate.perSecond}/s`;
  if (check.quotaPerSecond !== null && (check.predictedThrottled > 0 || check.peakPerSecond > check.quotaPerSecond)) {
    const where =
      check.scope === "group"
        ? `message group ${check.busiest ?? "?"} (high-throughput queue: ${check.quotaPerSecond} SendMessage/s per group)`
        : `the queue (${check.mode === "unknown" ? "mode unknown, so taken as a normal FIFO queue: " : "not high-throughput: "}${check.quotaPerSecond} SendMessage/s for the whole queue)`;
    lines.push(
      `This burst would exceed the queue's FIFO throughput quota: ${count} messages ${pace} put up to ${check.peakPerSecond} SendMessage calls within one second on ${where}.` +
        (check.predictedThrottled > 0
          ? ` About ${check.predictedThrottled} would be throttled and never queued.`
          : " AWS documents no burst allowance, so some may be throttled."),
    );
  }
  if (check.stage !== null && check.stage.predictedThrottled > 0) {
    lines.push(
      `It would also exceed the stage's throttle (${check.stage.ratePerSecond}/s, burst ${check.stage.burst}): about ${check.stage.predictedThrottled} frames refused by API Gateway itself.`,
    );
  }
  if (check.fixes.length > 0) lines.push(`Fix: ${check.fixes.join("; or ")}.`);
  return lines;
}

/** One line on how --rate auto paced the burst, and why. */
export function describePacing(quota: QuotaCheck, rate: Rate, groups: number): string {
  const pace = rate.kind === "max" ? "as fast as the sockets accept" : `${rate.perSecond}/s`;
  const share = `${PACING_SHARE * 100}%`;
  switch (quota.mode) {
    case "high-throughput": {
      const fromGroups = Math.floor(groups * (quota.quotaPerSecond ?? 0) * PACING_SHARE);
      const capped = rate.kind === "fixed" && rate.perSecond < fromGroups ? "; capped by the stage's throttle or the Region's figure for the queue" : "";
      return `${pace}: a high-throughput FIFO queue takes ${quota.quotaPerSecond} SendMessage/s per message group; ${groups} group(s) at ${share}${capped}`;
    }
    case "per-queue":
      return `${pace}: a FIFO queue without high throughput takes ${quota.quotaPerSecond} SendMessage/s in all; ${share} of it (more --groups would not help)`;
    case "standard":
      return `${pace}: a standard queue has no throughput quota`;
    default:
      return `${pace}: the queue's mode is unknown (${quota.note ?? "no queue"}), so paced for a normal FIFO queue's ${quota.quotaPerSecond} SendMessage/s at ${share}`;
  }
}
