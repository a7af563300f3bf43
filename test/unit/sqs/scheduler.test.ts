import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Scheduler } from "../../../src/local/sqs/scheduler.js";

describe("the SQS scheduler", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function make(nextVisible: Map<string, number> = new Map()) {
    const housekeep = vi.fn();
    const scheduler = new Scheduler(
      { now: () => Date.now() },
      {
        nextVisibleAt: (queue, now) => {
          const t = nextVisible.get(queue);
          return t !== undefined && t > now ? t : undefined;
        },
        nextHousekeeping: () => undefined,
        housekeep,
      },
    );
    return { scheduler, housekeep };
  }

  it("serves many waiters with a single timer and times each out at its own deadline", async () => {
    const { scheduler } = make();
    const outcomes: string[] = [];
    const waits = [5_000, 1_000, 3_000].map((ms, i) => scheduler.wait("q", Date.now() + ms, 0).then((o) => outcomes.push(`${i}:${o}`)));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(outcomes).toEqual(["1:timeout"]);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(4_000);
    await Promise.all(waits);
    expect(outcomes).toEqual(["1:timeout", "2:timeout", "0:timeout"]);
    expect(vi.getTimerCount()).toBe(0);
    scheduler.close();
  });

  it("wakes the queue's waiters after a committed change, and only that queue's", async () => {
    const { scheduler } = make();
    const a = scheduler.wait("a", Date.now() + 20_000, 0);
    let bDone = false;
    const b = scheduler.wait("b", Date.now() + 20_000, 0).then((o) => ((bDone = true), o));
    scheduler.markChanged("a");
    scheduler.publish();
    expect(await a).toBe("changed");
    await Promise.resolve();
    expect(bDone).toBe(false);
    scheduler.close();
    expect(await b).toBe("aborted");
  });

  it("does not wait when the queue changed since the caller looked (no lost wake-up)", async () => {
    const { scheduler } = make();
    const seen = scheduler.version("q");
    scheduler.markChanged("q");
    expect(await scheduler.wait("q", Date.now() + 20_000, seen)).toBe("changed");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("wakes waiters when a message of their queue becomes visible", async () => {
    const { scheduler } = make(new Map([["q", Date.now() + 2_000]]));
    const waiting = scheduler.wait("q", Date.now() + 20_000, 0);
    await vi.advanceTimersByTimeAsync(1_999);
    await vi.advanceTimersByTimeAsync(1);
    expect(await waiting).toBe("changed");
  });

  it("resolves an aborted wait at once", async () => {
    const { scheduler } = make();
    const controller = new AbortController();
    const waiting = scheduler.wait("q", Date.now() + 20_000, 0, controller.signal);
    controller.abort();
    expect(await waiting).toBe("aborted");
    expect(vi.getTimerCount()).toBe(0);
  });
});
