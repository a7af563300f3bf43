import { describe, expect, test } from "vitest";
import { planBurst, type Rate } from "../../../../src/client/burst/plan.js";
import { autoRate, checkQuota, describeQuotaCheck, queueModeOf, type QueueMode, type StageLimits } from "../../../../src/client/burst/quota.js";

function check(count: number, groups: number, rate: Rate, mode: QueueMode, stage: StageLimits | null = null, region = "us-east-1") {
  const plan = planBurst({ count, connections: Math.min(groups, 10), groups, rate, size: 0, runId: "q" });
  return checkQuota({ messages: plan.messages, groups, rate, mode, region, stage });
}

describe("which quota applies", () => {
  test("high throughput needs both attributes; a FIFO queue without them has the per-queue quota", () => {
    expect(queueModeOf({ FifoQueue: "true", DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" })).toBe("high-throughput");
    expect(queueModeOf({ FifoQueue: "true", DeduplicationScope: "messageGroup", FifoThroughputLimit: "perQueue" })).toBe("per-queue");
    expect(queueModeOf({ FifoQueue: "true", DeduplicationScope: "queue", FifoThroughputLimit: "perMessageGroupId" })).toBe("per-queue");
    expect(queueModeOf({ FifoQueue: "true" })).toBe("per-queue");
    expect(queueModeOf({})).toBe("standard");
    expect(queueModeOf(null)).toBe("unknown");
  });
});

describe("the default pacing (--rate auto)", () => {
  test("keeps each group of a high-throughput queue at 80% of 300/s", () => {
    expect(autoRate("high-throughput", 10, 1000, "us-east-1", null)).toEqual({ kind: "fixed", perSecond: 2400 });
    expect(autoRate("high-throughput", 1, 1000, "us-east-1", null)).toEqual({ kind: "fixed", perSecond: 240 });
  });

  test("keeps a normal FIFO queue (or one of unknown mode) at 80% of 300/s, whatever the groups", () => {
    expect(autoRate("per-queue", 10, 1000, "us-east-1", null)).toEqual({ kind: "fixed", perSecond: 240 });
    expect(autoRate("unknown", 50, 1000, "us-east-1", null)).toEqual({ kind: "fixed", perSecond: 240 });
  });

  test("stays within the Region's figure for a whole high-throughput queue, and within the stage's throttle for a long burst", () => {
    // 2,400 calls/s for a whole high-throughput queue in a Region not listed.
    expect(autoRate("high-throughput", 100, 1000, "af-south-1", null)).toEqual({ kind: "fixed", perSecond: 1920 });
    const stage = { ratePerSecond: 1000, burst: 2000 };
    // 1,000 messages fit the stage's burst allowance; 10,000 do not, so the stage's rate caps them.
    expect(autoRate("high-throughput", 10, 1000, "us-east-1", stage)).toEqual({ kind: "fixed", perSecond: 2400 });
    expect(autoRate("high-throughput", 10, 10_000, "us-east-1", stage)).toEqual({ kind: "fixed", perSecond: 800 });
    expect(autoRate("standard", 10, 1000, "us-east-1", null)).toEqual({ kind: "max" });
  });

  test("the default burst (1,000 over 10 groups, auto) stays under the quota on both kinds of FIFO queue", () => {
    for (const mode of ["high-throughput", "per-queue"] as const) {
      const rate = autoRate(mode, 10, 1000, "us-east-1", { ratePerSecond: 1000, burst: 2000 });
      const q = check(1000, 10, rate, mode, { ratePerSecond: 1000, burst: 2000 });
      expect(q.ok, mode).toBe(true);
      expect(q.predictedThrottled).toBe(0);
      expect(q.peakPerSecond).toBeLessThanOrEqual(300);
      expect(describeQuotaCheck(q, 1000, rate)).toEqual([]);
    }
  });
});

describe("the quota check before sending", () => {
  test("a burst at max over too few groups of a high-throughput queue is over the group quota, with the numbers and the fixes", () => {
    const q = check(1000, 2, { kind: "max" }, "high-throughput");
    expect(q).toMatchObject({ ok: false, scope: "group", quotaPerSecond: 300, peakPerSecond: 500, busiest: "burst-q-g0", predictedThrottled: 400 });
    const text = describeQuotaCheck(q, 1000, { kind: "max" }).join("\n");
    expect(text).toContain("up to 500 SendMessage calls within one second on message group burst-q-g0");
    expect(text).toContain("About 400 would be throttled");
    expect(text).toContain("--groups 4 or more");
    expect(text).toContain("--rate 480");
  });

  test("a paced burst above a normal FIFO queue's 300/s says groups do not help and names high-throughput mode", () => {
    const q = check(3000, 10, { kind: "fixed", perSecond: 600 }, "per-queue");
    expect(q.ok).toBe(false);
    expect(q.scope).toBe("queue");
    expect(q.peakPerSecond).toBe(600);
    // The bucket holds one second's worth: 300 up front, then 300 more per second of the 5 s (the
    // last message is due 1.7 ms before the 5 s are up, so one token short of 1,500).
    expect(q.predictedThrottled).toBe(3000 - 300 - 1499);
    const text = describeQuotaCheck(q, 3000, { kind: "fixed", perSecond: 600 }).join("\n");
    expect(text).toContain("not high-throughput: 300 SendMessage/s for the whole queue");
    expect(text).toContain("--rate 240 or less (groups do not help");
    expect(text).toContain("DeduplicationScope=messageGroup and FifoThroughputLimit=perMessageGroupId");
  });

  test("a rate the groups can take is within the quota; the same rate over fewer groups is not", () => {
    expect(check(6000, 10, { kind: "fixed", perSecond: 2900 }, "high-throughput").ok).toBe(true);
    const fewer = check(6000, 5, { kind: "fixed", perSecond: 2900 }, "high-throughput");
    expect(fewer.ok).toBe(false);
    expect(describeQuotaCheck(fewer, 6000, { kind: "fixed", perSecond: 2900 }).join("\n")).toContain("--groups 13 or more at --rate 2900");
  });

  test("the stage's throttle is checked apart from the queue's quota", () => {
    const stage = { ratePerSecond: 1000, burst: 2000 };
    const q = check(5000, 50, { kind: "max" }, "high-throughput", stage);
    expect(q.predictedThrottled).toBe(0);
    expect(q.stage).toEqual({ ...stage, predictedThrottled: 3000 });
    expect(q.ok).toBe(false);
    expect(describeQuotaCheck(q, 5000, { kind: "max" }).join("\n")).toContain(
      "stage's throttle (1000/s, burst 2000): about 3000 frames refused by API Gateway itself",
    );
  });

  test("a standard queue has no throughput quota", () => {
    expect(check(10_000, 1, { kind: "max" }, "standard")).toMatchObject({ ok: true, scope: null, quotaPerSecond: null, predictedThrottled: 0 });
  });
});
