/**
 * FIFO throughput quotas as token buckets (pure: the clock is injected, nothing is stored).
 *
 * AWS ("Amazon SQS message quotas", "Troubleshoot FIFO throttling issues"): a FIFO queue takes
 * 300 transactions per second per API action, a batch call counting as one transaction. In
 * high-throughput mode the quota applies per message group ID, and the whole queue goes up to its
 * Region's figure. Which calls share a bucket, and the burst, are the choices recorded in
 * docs/sqs.md ("FIFO throughput quotas"):
 * - SendMessage and SendMessageBatch share the SendMessage bucket (the quotas page counts 3,000
 *   batched messages/s as 300 calls of the SendMessage action); likewise DeleteMessage(+Batch) and
 *   ChangeMessageVisibility(+Batch), which the throttling page lists beside them. ReceiveMessage
 *   has its own. Sharing is the stricter reading of "per API action".
 * - High-throughput mode: a call charges one transaction to the queue-wide regional bucket and one
 *   to each message group it touches (a batch spanning three groups charges each of them once).
 *   ReceiveMessage names no group, so it charges only the queue-wide bucket.
 * - A bucket holds one second's worth of its rate (limits.FIFO_QUOTA_BURST_SECONDS).
 *
 * A call is admitted only if every bucket it touches has a token; a throttled call takes none.
 * Hand-written rather than a rate-limiter library: the all-or-nothing charge over several keyed
 * buckets, evaluated synchronously against an injected clock, is the whole of it (a few lines),
 * and the libraries we looked at are per-key, asynchronous or wall-clock bound.
 */
import type { Clock } from "../context.js";
import * as limits from "./limits.js";
import type { QueueAttributes } from "./queue-attributes.js";

/** The API actions that carry a FIFO quota; a batch action is charged to its single-message action. */
export type QuotaAction = "SendMessage" | "ReceiveMessage" | "DeleteMessage" | "ChangeMessageVisibility";

export interface ThroughputQuotas {
  /** Per API action per queue, non-high-throughput mode. */
  perQueue: number;
  /** Per API action per message group, high-throughput mode. */
  perGroup: number;
  /** Per API action for the whole queue, high-throughput mode (the Region's figure). */
  highThroughputQueue: number;
  /** A bucket holds this many seconds of its rate. */
  burstSeconds: number;
}

/** AWS's figures for a Region. */
export function fifoQuotasFor(region: string): ThroughputQuotas {
  return {
    perQueue: limits.FIFO_TPS_PER_ACTION,
    perGroup: limits.FIFO_TPS_PER_MESSAGE_GROUP,
    highThroughputQueue: limits.HIGH_THROUGHPUT_FIFO_TPS[region] ?? limits.HIGH_THROUGHPUT_FIFO_TPS_OTHER_REGIONS,
    burstSeconds: limits.FIFO_QUOTA_BURST_SECONDS,
  };
}

/** High throughput needs both settings; with either one changed back the queue has normal throughput. */
export function isHighThroughput(attributes: QueueAttributes): boolean {
  return attributes.DeduplicationScope === "messageGroup" && attributes.FifoThroughputLimit === "perMessageGroupId";
}

/** Which quota refused a call, for the error message. */
export interface Throttled {
  rate: number;
  scope: "queue" | "group" | "high-throughput queue";
  group?: string;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last computed (clock milliseconds). */
  at: number;
  rate: number;
}

/** After this many charges, buckets that have refilled completely are dropped (a missing bucket is a full one). */
const SWEEP_EVERY = 4096;

export class FifoThroughput {
  private readonly buckets = new Map<string, Bucket>();
  private charges = 0;

  constructor(
    private readonly quotas: ThroughputQuotas,
    private readonly clock: Clock,
  ) {}

  /**
   * Charges one transaction of `action` on a FIFO queue: to the queue's bucket, or in
   * high-throughput mode to the queue-wide bucket and to each group in `groups`. Returns
   * undefined when admitted, or the quota that refused it (and then nothing was charged).
   */
  charge(queue: string, action: QuotaAction, highThroughput: boolean, groups: Iterable<string> = []): Throttled | undefined {
    const now = this.clock.now();
    const wanted: { key: string; rate: number; scope: Throttled["scope"]; group?: string }[] = highThroughput
      ? [{ key: bucketKey(queue, action, "ht"), rate: this.quotas.highThroughputQueue, scope: "high-throughput queue" }]
      : [{ key: bucketKey(queue, action, "queue"), rate: this.quotas.perQueue, scope: "queue" }];
    if (highThroughput) {
      for (const group of new Set(groups)) wanted.push({ key: bucketKey(queue, action, `g:${group}`), rate: this.quotas.perGroup, scope: "group", group });
    }
    const levels = wanted.map((w) => this.level(w.key, w.rate, now));
    const empty = levels.findIndex((tokens) => tokens < 1);
    if (empty !== -1) {
      const refused = wanted[empty]!;
      return refused.group === undefined ? { rate: refused.rate, scope: refused.scope } : { rate: refused.rate, scope: refused.scope, group: refused.group };
    }
    wanted.forEach((w, index) => this.buckets.set(w.key, { tokens: levels[index]! - 1, at: now, rate: w.rate }));
    if (++this.charges >= SWEEP_EVERY) this.sweep(now);
    return undefined;
  }

  /** Forgets a deleted queue's buckets. */
  forget(queue: string): void {
    const prefix = `${queue}\u0000`;
    for (const key of this.buckets.keys()) if (key.startsWith(prefix)) this.buckets.delete(key);
  }

  /** How many buckets are kept (for tests of the sweep). */
  get size(): number {
    return this.buckets.size;
  }

  private capacity(rate: number): number {
    return rate * this.quotas.burstSeconds;
  }

  private level(key: string, rate: number, now: number): number {
    const bucket = this.buckets.get(key);
    const capacity = this.capacity(rate);
    if (bucket === undefined) return capacity;
    // A clock that steps back (an NTP correction) refills nothing rather than draining.
    const elapsed = Math.max(0, now - bucket.at);
    return Math.min(capacity, bucket.tokens + (elapsed / 1000) * rate);
  }

  private sweep(now: number): void {
    this.charges = 0;
    for (const [key, bucket] of this.buckets) if (this.level(key, bucket.rate, now) >= this.capacity(bucket.rate)) this.buckets.delete(key);
  }
}

function bucketKey(queue: string, action: QuotaAction, scope: string): string {
  return `${queue}\u0000${action}\u0000${scope}`;
}
