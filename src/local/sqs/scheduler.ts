/**
 * The one scheduler of the SQS service. Long-polling receivers wait here; a single timer is armed
 * at the earliest relevant deadline — a waiter's WaitTimeSeconds, the next moment a message of a
 * watched queue becomes visible (delay or visibility timeout ending), or the next retention/dedup
 * expiry — and never one timer per message. Commits that may make messages receivable (send,
 * delete in a FIFO group, visibility change) wake the queue's waiters at once.
 *
 * Lost wake-ups are ruled out with a per-queue version: a receiver notes the version before its
 * attempt and waits only if nothing changed since.
 */
import type { Clock } from "../context.js";

export type WaitOutcome = "changed" | "timeout" | "aborted";

interface Waiter {
  queue: string;
  deadline: number;
  settle: (outcome: WaitOutcome) => void;
}

/** Longest single sleep; the timer re-arms itself, which also bounds clock drift. */
const MAX_TIMER_MS = 60_000;
/**
 * Retention and dedup expiry are enforced by the queries themselves (they ignore expired rows),
 * so the sweep is only garbage collection: at most this often, or a steady stream of sends would
 * make each expiring dedup id its own wake-up and commit.
 */
const MIN_SWEEP_INTERVAL_MS = 30_000;

export interface SchedulerSources {
  /** Earliest visible_at after `now` among the queue's messages. */
  nextVisibleAt(queue: string, now: number): number | undefined;
  /** Earliest retention or dedup expiry. */
  nextHousekeeping(): number | undefined;
  /** Runs the retention sweep (through the group committer). */
  housekeep(): void;
}

export class Scheduler {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly versions = new Map<string, number>();
  private readonly changed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private nextVisible = new Map<string, number>();
  private housekeepingAt: number | undefined;
  private lastSweep = -Infinity;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly sources: SchedulerSources,
  ) {}

  version(queue: string): number {
    return this.versions.get(queue) ?? 0;
  }

  /** Marks a queue changed inside a transaction; waiters wake when `publish` runs after commit. */
  markChanged(queue: string): void {
    this.versions.set(queue, this.version(queue) + 1);
    this.changed.add(queue);
  }

  /** After each commit: wake the waiters of changed queues, then re-arm the timer. */
  publish(): void {
    for (const queue of this.changed) {
      const set = this.waiters.get(queue);
      if (set === undefined) continue;
      for (const waiter of set) waiter.settle("changed");
    }
    this.changed.clear();
    this.rearm();
  }

  /** Waits until the queue changes, the deadline passes or the signal aborts. */
  wait(queue: string, deadline: number, seenVersion: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (this.closed || signal?.aborted) return Promise.resolve("aborted");
    if (this.version(queue) !== seenVersion) return Promise.resolve("changed");
    if (deadline <= this.clock.now()) return Promise.resolve("timeout");
    return new Promise<WaitOutcome>((resolve) => {
      let set = this.waiters.get(queue);
      if (set === undefined) {
        set = new Set();
        this.waiters.set(queue, set);
      }
      const onAbort = (): void => waiter.settle("aborted");
      const waiter: Waiter = {
        queue,
        deadline,
        settle: (outcome) => {
          const current = this.waiters.get(queue);
          current?.delete(waiter);
          if (current?.size === 0) {
            this.waiters.delete(queue);
            this.nextVisible.delete(queue);
          }
          signal?.removeEventListener("abort", onAbort);
          // Drops the timer when nothing is left to wait for.
          this.arm();
          resolve(outcome);
        },
      };
      set.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.refreshQueue(queue);
      this.arm();
    });
  }

  private refreshQueue(queue: string): void {
    const next = this.sources.nextVisibleAt(queue, this.clock.now());
    if (next === undefined) this.nextVisible.delete(queue);
    else this.nextVisible.set(queue, next);
  }

  /** Re-reads the deadlines from the store (after a commit) and arms the timer. */
  rearm(): void {
    if (this.closed) return;
    for (const queue of this.waiters.keys()) this.refreshQueue(queue);
    const next = this.sources.nextHousekeeping();
    this.housekeepingAt = next === undefined ? undefined : Math.max(next, this.lastSweep + MIN_SWEEP_INTERVAL_MS);
    this.arm();
  }

  private earliestDeadline(): number {
    let earliest = this.housekeepingAt ?? Infinity;
    for (const [queue, set] of this.waiters) {
      for (const waiter of set) earliest = Math.min(earliest, waiter.deadline);
      earliest = Math.min(earliest, this.nextVisible.get(queue) ?? Infinity);
    }
    return earliest;
  }

  private arm(): void {
    if (this.closed) return;
    const at = this.earliestDeadline();
    if (at === Infinity) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.clock.now()));
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), delay);
    // The HTTP server keeps the process alive; the scheduler alone must not.
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    for (const [queue, set] of [...this.waiters]) {
      const visibleAt = this.nextVisible.get(queue);
      const becameVisible = visibleAt !== undefined && visibleAt <= now;
      for (const waiter of [...set]) {
        if (becameVisible) waiter.settle("changed");
        else if (waiter.deadline <= now) waiter.settle("timeout");
      }
    }
    if (this.housekeepingAt !== undefined && this.housekeepingAt <= now) {
      this.housekeepingAt = undefined;
      this.lastSweep = now;
      this.sources.housekeep();
    }
    this.rearm();
  }

  /** Releases every waiter (they return empty receives) and stops the timer. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const set of [...this.waiters.values()]) for (const waiter of [...set]) waiter.settle("aborted");
  }
}
