import { randomBytes, randomInt } from "node:crypto";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { MAX_WORK_MS } from "../../shared/pattern-messages.js";
import { MAX_FRAME_BYTES, parseRate, type Rate } from "./plan.js";
import { MAX_SEED, type ConsumerFlags } from "./consumer.js";

/**
 * `wsq burst`'s flags, validated into numbers once (pure). Bad values are usage errors (exit 2)
 * that name the flag and the allowed range.
 */
export interface BurstFlags {
  count: string;
  connections: string;
  rate: string;
  size: string;
  groups?: string;
  /** Absent: 60 s, or longer when the consumer directives predict a longer drain. */
  timeout?: string;
  pollInterval: string;
  connectTimeout: string;
  strictSendOrder?: boolean;
  workMs?: string;
  failRate?: string;
  failOnceRate?: string;
  seed?: string;
}

/** `--rate`: a number, `max`, or `auto` (paced under the queue's quota, decided once its mode is known: quota.ts). */
export type RateFlag = Rate | { kind: "auto" };

export interface BurstSettings {
  count: number;
  connections: number;
  groups: number;
  rate: RateFlag;
  size: number;
  /** The --timeout given, or null to take the default (defaultTimeoutMs in consumer.ts). */
  timeoutMs: number | null;
  pollIntervalMs: number;
  connectTimeoutMs: number;
  strictSendOrder: boolean;
  runId: string;
  /** --work-ms, --fail-rate, --fail-once-rate and --seed (drawn when not given). */
  consumer: ConsumerFlags;
}

/** A burst is bounded: loopback load tests stay bounded in count and time (DEVELOPERS.md). */
export const MAX_COUNT = 1_000_000;
export const MAX_CONNECTIONS = 10_000;
/** The issue asks for GetQueueAttributes every 250-500 ms; allow a wider range for slow links. */
export const MIN_POLL_MS = 100;
export const MAX_POLL_MS = 10_000;

function integer(flag: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new WsqError("BAD_FLAG", `${flag} must be a whole number from ${min.toLocaleString("en-US")} to ${max.toLocaleString("en-US")}, not "${raw}".`, {
      exitCode: ExitCode.usage,
    });
  }
  return value;
}

function seconds(flag: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new WsqError("BAD_FLAG", `${flag} must be a number of seconds above 0, not "${raw}".`, { exitCode: ExitCode.usage });
  }
  return Math.round(value * 1000);
}

/** A fraction from 0 to 1. */
function fraction(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new WsqError("BAD_FLAG", `${flag} must be a fraction from 0 to 1 (0.02 is 2%), not "${raw}".`, { exitCode: ExitCode.usage });
  }
  return value;
}

export function newSeed(): number {
  return randomInt(0, MAX_SEED);
}

export function parseConsumerFlags(flags: Pick<BurstFlags, "workMs" | "failRate" | "failOnceRate" | "seed">, seed: () => number = newSeed): ConsumerFlags {
  const workMs = flags.workMs === undefined ? 0 : integer("--work-ms", flags.workMs, 0, MAX_WORK_MS);
  const failRate = flags.failRate === undefined ? 0 : fraction("--fail-rate", flags.failRate);
  const failOnceRate = flags.failOnceRate === undefined ? 0 : fraction("--fail-once-rate", flags.failOnceRate);
  if (failRate + failOnceRate > 1) {
    throw new WsqError(
      "BAD_FLAG",
      `--fail-rate and --fail-once-rate add up to more than 1 (${failRate} + ${failOnceRate}); a message fails either way, not both.`,
      {
        exitCode: ExitCode.usage,
      },
    );
  }
  return { workMs, failRate, failOnceRate, seed: flags.seed === undefined ? seed() : integer("--seed", flags.seed, 0, MAX_SEED) };
}

export function newRunId(): string {
  return randomBytes(4).toString("hex");
}

export function parseBurstFlags(flags: BurstFlags, runId: string = newRunId()): BurstSettings {
  const count = integer("--count", flags.count, 1, MAX_COUNT);
  const connections = integer("--connections", flags.connections, 1, MAX_CONNECTIONS);
  const groups = flags.groups === undefined ? connections : integer("--groups", flags.groups, 1, MAX_COUNT);
  const rate: RateFlag | undefined = flags.rate.trim().toLowerCase() === "auto" ? { kind: "auto" } : parseRate(flags.rate);
  if (!rate) {
    throw new WsqError("BAD_FLAG", `--rate must be a number of messages per second above 0, "auto" or "max", not "${flags.rate}".`, {
      exitCode: ExitCode.usage,
    });
  }
  const size = Number(flags.size);
  if (!Number.isInteger(size) || size < 0 || size > MAX_FRAME_BYTES) {
    throw new WsqError("BAD_FLAG", `--size must be a whole number of bytes from 0 to ${MAX_FRAME_BYTES}, not "${flags.size}".`, {
      hint: "API Gateway closes the connection (code 1009) on frames over 32 KB; each burst message is one frame.",
      exitCode: ExitCode.usage,
    });
  }
  const pollIntervalMs = integer("--poll-interval", flags.pollInterval, MIN_POLL_MS, MAX_POLL_MS);
  return {
    count,
    connections,
    groups,
    rate,
    size,
    timeoutMs: flags.timeout === undefined ? null : seconds("--timeout", flags.timeout),
    pollIntervalMs,
    connectTimeoutMs: seconds("--connect-timeout", flags.connectTimeout),
    strictSendOrder: flags.strictSendOrder === true,
    runId,
    consumer: parseConsumerFlags(flags),
  };
}
