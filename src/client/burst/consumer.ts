import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { workReserveMs, type ConsumerDirectives } from "../../shared/pattern-messages.js";

/**
 * The consumer side of a burst, decided before it is sent (pure): which messages carry which
 * directives (`--work-ms`, `--fail-rate`, `--fail-once-rate`, `--seed`), and how long the function
 * should take to drain them, predicted from the directives and the stack's settings.
 */

/** What the burst asks of the consumer. */
export interface ConsumerFlags {
  /** Every message takes this long (ms). */
  workMs: number;
  /** Fraction of the messages that fail on every delivery (end in the DLQ). */
  failRate: number;
  /** Fraction that fails on its first delivery only. */
  failOnceRate: number;
  /** Seed of the failure selection: the same seed, count and rates pick the same messages. */
  seed: number;
}

export function hasDirectives(flags: ConsumerFlags): boolean {
  return flags.workMs > 0 || flags.failRate > 0 || flags.failOnceRate > 0;
}

/** The seeds --seed takes: what xoroshiro128plus is seeded with (a 32-bit integer). */
export const MAX_SEED = 0xffff_ffff;

/**
 * Exactly round(count × rate) messages of each kind, drawn without replacement by a seeded partial
 * Fisher-Yates shuffle of the message indices: the `always` ones first, then the `once` ones from
 * the rest, so no message gets both. The PRNG is pure-rand's xoroshiro128+, so a seed picks the
 * same messages on every machine and every version of Node.
 */
export function selectFailures(count: number, flags: Pick<ConsumerFlags, "failRate" | "failOnceRate" | "seed">): { always: Set<number>; once: Set<number> } {
  const nAlways = Math.round(count * flags.failRate);
  const nOnce = Math.min(count - nAlways, Math.round(count * flags.failOnceRate));
  const picks = nAlways + nOnce;
  const always = new Set<number>();
  const once = new Set<number>();
  if (picks === 0) return { always, once };
  // The seed is an unsigned 32-bit number; pure-rand takes a signed one.
  const rng = xoroshiro128plus(flags.seed | 0);
  const indices = Array.from({ length: count }, (_, i) => i);
  for (let k = 0; k < picks; k++) {
    const j = uniformInt(rng, k, count - 1);
    const chosen = indices[j] as number;
    indices[j] = indices[k] as number;
    indices[k] = chosen;
    (k < nAlways ? always : once).add(chosen);
  }
  return { always, once };
}

/** The directives of message `index` under the flags and the selection, or undefined for none. */
export function directivesFor(
  index: number,
  flags: ConsumerFlags,
  selection: { always: ReadonlySet<number>; once: ReadonlySet<number> },
): ConsumerDirectives | undefined {
  const directives: ConsumerDirectives = {};
  if (flags.workMs > 0) directives.work = flags.workMs;
  if (selection.always.has(index)) directives.fail = "always";
  else if (selection.once.has(index)) directives.fail = "once";
  return Object.keys(directives).length > 0 ? directives : undefined;
}

// ------------------------------------------------------------------ the stack's consumer settings
/**
 * What bounds the consumer, read before sending through the SQS and Lambda APIs (null when it
 * could not be read): the queue's visibility timeout and redrive policy, the mapping's batch size
 * and maximum concurrency, the function's reserved concurrency and timeout.
 */
export interface ConsumerSettings {
  visibilityTimeoutSeconds: number | null;
  maxReceiveCount: number | null;
  batchSize: number | null;
  maximumConcurrency: number | null;
  reservedConcurrency: number | null;
  functionTimeoutSeconds: number | null;
  /** The local cloud runs at most this many environments per function (null on AWS). */
  localEnvironmentLimit: number | null;
  /** What could not be read, and so was assumed. */
  notes: string[];
}

export const UNKNOWN_SETTINGS: ConsumerSettings = {
  visibilityTimeoutSeconds: null,
  maxReceiveCount: null,
  batchSize: null,
  maximumConcurrency: null,
  reservedConcurrency: null,
  functionTimeoutSeconds: null,
  localEnvironmentLimit: null,
  notes: [],
};

/** How many batches the function runs at once: the mapping's MaximumConcurrency, bounded by reserved concurrency (and the local cloud's limit). */
export function concurrencyLimit(settings: ConsumerSettings): number | null {
  const bounds = [settings.maximumConcurrency, settings.reservedConcurrency, settings.localEnvironmentLimit].filter((n): n is number => n !== null);
  return bounds.length === 0 ? null : Math.min(...bounds);
}

// ------------------------------------------------------------------ the prediction
export interface DrainPrediction {
  /** Predicted time from the first message written to the last one answered (or dead-lettered), ms. */
  drainMs: number;
  /** Message groups processed at once: min(groups, the concurrency limit). */
  lanes: number;
  /** The work each message takes once capped under the function's timeout (ms). */
  workMs: number;
  /** The busiest group's share: its messages one after another, plus the visibility timeouts its failures wait out (ms). */
  longestGroupMs: number;
  /** All the work divided over the lanes (ms). */
  spreadMs: number;
  /** The sending itself: the last message cannot be processed before it is sent (ms). */
  sendMs: number;
  failAlways: number;
  failOnce: number;
  /** How long a fail-always message blocks its group before SQS dead-letters it: maxReceiveCount × visibility timeout (ms). */
  deadLetterAfterMs: number | null;
  /** Which bound decides: "groups" (the busiest group), "concurrency" (the work over the lanes) or "sending". */
  bound: "groups" | "concurrency" | "sending";
  /** Assumptions made for settings that could not be read, and the model's limits. */
  caveats: string[];
}

/**
 * The drain, predicted: a FIFO group is processed one message after another, groups in parallel up
 * to the concurrency limit (count × work ÷ groups in parallel). A message that fails once makes its
 * group wait out the queue's visibility timeout before its retry; one that always fails blocks its
 * group for maxReceiveCount × the visibility timeout, until SQS dead-letters it. Failures wait
 * without holding an environment. So: the longest of the busiest group's time, the whole work
 * spread over the lanes, and the sending plus one message's work.
 */
export function predictDrain(input: {
  messages: readonly { group: string; directives?: ConsumerDirectives }[];
  groups: number;
  /** When the last message is due, after the first (ms). */
  sendMs: number;
  settings: ConsumerSettings;
}): DrainPrediction {
  const { settings } = input;
  const caveats: string[] = [];
  const limit = concurrencyLimit(settings);
  if (limit === null) caveats.push("the mapping's concurrency could not be read: one environment per group assumed");
  const lanes = Math.max(1, Math.min(input.groups, limit ?? input.groups));
  const requestedWork = input.messages.reduce((max, m) => Math.max(max, m.directives?.work ?? 0), 0);
  let workMs = requestedWork;
  if (settings.functionTimeoutSeconds !== null && requestedWork > 0) {
    // The handler caps each record's work under what is left of its invocation; a full batch shares one.
    const budget = settings.functionTimeoutSeconds * 1000 - workReserveMs(settings.functionTimeoutSeconds * 1000);
    workMs = Math.min(requestedWork, budget / Math.max(1, settings.batchSize ?? 1));
    if (workMs < requestedWork)
      caveats.push(
        `work capped at ${Math.floor(workMs)} ms a message: a batch of ${settings.batchSize ?? 1} must fit the function's ${settings.functionTimeoutSeconds} s timeout`,
      );
  }
  const visibilityMs = settings.visibilityTimeoutSeconds === null ? null : settings.visibilityTimeoutSeconds * 1000;
  const deadLetterAfterMs = visibilityMs === null || settings.maxReceiveCount === null ? null : settings.maxReceiveCount * visibilityMs;
  const perGroup = new Map<string, number>();
  let failAlways = 0;
  let failOnce = 0;
  let totalWork = 0;
  for (const m of input.messages) {
    let ms = 0;
    const fail = m.directives?.fail;
    if (fail === "always") {
      failAlways += 1;
      ms += deadLetterAfterMs ?? 0;
    } else {
      ms += workMs;
      totalWork += workMs;
      if (fail === "once") {
        failOnce += 1;
        ms += visibilityMs ?? 0;
      }
    }
    perGroup.set(m.group, (perGroup.get(m.group) ?? 0) + ms);
  }
  if ((failAlways > 0 || failOnce > 0) && visibilityMs === null) caveats.push("the queue's visibility timeout could not be read: failures counted as no wait");
  if (failAlways > 0 && settings.maxReceiveCount === null) caveats.push("the queue's redrive policy could not be read: dead-lettering counted as no wait");
  if (failAlways + failOnce > 0 && (settings.batchSize ?? 1) > 1) {
    caveats.push(
      `with batches of up to ${settings.batchSize}, messages behind a failing one in its batch are handed back with it: they wait with it, and behind a fail-always message they are dead-lettered with it (Lambda's FIFO rule)`,
    );
  }
  const longestGroupMs = Math.max(0, ...perGroup.values());
  const spreadMs = totalWork / lanes;
  const sendMs = input.sendMs + workMs;
  const drainMs = Math.max(longestGroupMs, spreadMs, sendMs);
  const bound = drainMs === sendMs && sendMs > Math.max(longestGroupMs, spreadMs) ? "sending" : longestGroupMs >= spreadMs ? "groups" : "concurrency";
  return { drainMs, lanes, workMs, longestGroupMs, spreadMs, sendMs, failAlways, failOnce, deadLetterAfterMs, bound, caveats };
}

/** The --timeout a burst needs by default when the prediction says the drain takes long: at least 60 s, else 1.5 × the prediction plus 30 s. */
export function defaultTimeoutMs(prediction: DrainPrediction | null, fallbackMs = 60_000): number {
  if (prediction === null) return fallbackMs;
  return Math.max(fallbackMs, Math.ceil((prediction.drainMs * 1.5 + 30_000) / 1000) * 1000);
}
