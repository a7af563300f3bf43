/**
 * How much of the host's CPU went unused lately, from the kernel's per-core counters (os.cpus()):
 * the local cloud, its function workers and everything else on the machine share these cores,
 * and an environment started while none of them is idle only competes with the running ones.
 */
import { cpus } from "node:os";

/** Readings closer together than this are too coarse to say anything (the counters tick every 10 ms). */
export const MIN_READING_INTERVAL_MS = 250;

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
  private share = 1;

  constructor(
    private readonly readCores: () => CoreTimes = cpus,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = read(readCores(), now());
  }

  /**
   * The idle share of all cores (0 to 1) between the last two readings; a new reading is taken
   * when the last one is at least MIN_READING_INTERVAL_MS old, so callers may ask at any rate.
   */
  idleShare(): number {
    const at = this.now();
    if (at - this.last.at < MIN_READING_INTERVAL_MS) return this.share;
    const reading = read(this.readCores(), at);
    const total = reading.total - this.last.total;
    if (total > 0) this.share = Math.min(1, Math.max(0, (reading.idle - this.last.idle) / total));
    this.last = reading;
    return this.share;
  }
}
