/**
 * How much of the host's CPU went unused lately, from the kernel's per-core counters (os.cpus()):
 * the local cloud, its function workers and everything else on the machine share these cores,
 * and an environment started while none of them is idle only competes with the running ones.
 */
import { cpus } from "node:os";

/** Readings closer together than this are too coarse to say anything (the counters tick every 10 ms). */
export const MIN_READING_INTERVAL_MS = 250;
/**
 * A reading older than this says nothing about now: a burst's first call would otherwise see the
 * quiet seconds before it as idle CPU, and start environments the burst then has no cores for.
 */
export const MAX_READING_AGE_MS = 1_000;

interface Reading {
  at: number;
  idle: number;
  total: number;
}

export type CoreTimes = { times: { user: number; nice: number; sys: number; idle: number; irq: number } }[];

function read(cores: CoreTimes, at: number): Reading {
  let idle = 0;
  let total = 0;
  for (const { times } of cores) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { at, idle, total };
}

export class HostCpu {
  private last: Reading;
  private share = 0;
  /** Environment starts the latest reading has already let through. */
  private granted = 0;
  /** Cores in the latest reading. */
  private cores = 1;

  constructor(
    private readonly readCores: () => CoreTimes = cpus,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = read(readCores(), now());
  }

  /**
   * The idle share of all cores (0 to 1) between the last two readings; a new reading is taken
   * when the last one is at least MIN_READING_INTERVAL_MS old, so callers may ask at any rate.
   * After MAX_READING_AGE_MS without a reading the share is unknown, and taken as 0 (busy) until
   * the next reading.
   */
  idleShare(): number {
    const at = this.now();
    if (at - this.last.at < MIN_READING_INTERVAL_MS) return this.share;
    const cores = this.readCores();
    const reading = read(cores, at);
    this.cores = Math.max(1, cores.length);
    this.granted = 0;
    if (at - this.last.at > MAX_READING_AGE_MS) {
      this.last = reading;
      this.share = 0;
      return 0;
    }
    const total = reading.total - this.last.total;
    if (total > 0) this.share = Math.min(1, Math.max(0, (reading.idle - this.last.idle) / total));
    this.last = reading;
    return this.share;
  }

  /**
   * True when at least `share` of the host's CPU was idle at the latest reading, once per idle core
   * it saw (at least once): one more environment may start on each. No more per reading, because a
   * start uses what it saw idle: the next reading says whether there is still room (a burst's first
   * calls would otherwise all see the quiet before it).
   */
  takeIdle(share: number): boolean {
    const idle = this.idleShare();
    if (idle < share || this.granted >= Math.max(1, Math.floor(idle * this.cores))) return false;
    this.granted += 1;
    return true;
  }
}
