import { describe, expect, test } from "vitest";
import { concurrencyLimit, defaultTimeoutMs, directivesFor, predictDrain, selectFailures, UNKNOWN_SETTINGS } from "../../../../src/client/burst/consumer.js";
import { parseConsumerFlags } from "../../../../src/client/burst/options.js";
import { planBurst } from "../../../../src/client/burst/plan.js";
import { peakOverlap } from "../../../../src/client/burst/stats.js";
import { TEMPLATE_SETTINGS } from "./consumer-settings.js";

describe("selectFailures", () => {
  test("draws exactly round(count × rate) of each kind, disjoint, the same for the same seed", () => {
    const a = selectFailures(500, { failRate: 0.02, failOnceRate: 0.05, seed: 7 });
    expect([a.always.size, a.once.size]).toEqual([10, 25]);
    expect([...a.always].some((i) => a.once.has(i))).toBe(false);
    for (const i of [...a.always, ...a.once]) expect(i >= 0 && i < 500).toBe(true);
    const again = selectFailures(500, { failRate: 0.02, failOnceRate: 0.05, seed: 7 });
    expect([...again.always]).toEqual([...a.always]);
    expect([...again.once]).toEqual([...a.once]);
    const other = selectFailures(500, { failRate: 0.02, failOnceRate: 0.05, seed: 8 });
    expect([...other.always].sort()).not.toEqual([...a.always].sort());
  });

  test("takes the whole range of seeds, and rates that add up to every message", () => {
    expect(selectFailures(10, { failRate: 0.5, failOnceRate: 0.5, seed: 0xffff_ffff }).always.size).toBe(5);
    const all = selectFailures(10, { failRate: 0.5, failOnceRate: 0.5, seed: 3 });
    expect(new Set([...all.always, ...all.once]).size).toBe(10);
    expect(selectFailures(10, { failRate: 0, failOnceRate: 0, seed: 3 }).always.size).toBe(0);
  });

  test("the plan carries the directives in the frames' wsq member", () => {
    const plan = planBurst({
      count: 100,
      connections: 2,
      groups: 4,
      rate: { kind: "max" },
      size: 0,
      runId: "r",
      consumer: { workMs: 20, failRate: 0.1, failOnceRate: 0, seed: 1 },
    });
    expect(plan.messages.filter((m) => m.directives?.fail === "always")).toHaveLength(10);
    expect(plan.messages.every((m) => m.directives?.work === 20)).toBe(true);
    expect(directivesFor(0, { workMs: 0, failRate: 0, failOnceRate: 0, seed: 1 }, { always: new Set(), once: new Set([0]) })).toEqual({ fail: "once" });
    expect(directivesFor(1, { workMs: 0, failRate: 0, failOnceRate: 0, seed: 1 }, { always: new Set(), once: new Set() })).toBeUndefined();
  });
});

describe("parseConsumerFlags", () => {
  test("reads the flags, draws a seed when none is given, and refuses what is out of range", () => {
    expect(parseConsumerFlags({ workMs: "20", failRate: "0.02", seed: "7" })).toEqual({ workMs: 20, failRate: 0.02, failOnceRate: 0, seed: 7 });
    expect(parseConsumerFlags({}, () => 42).seed).toBe(42);
    expect(() => parseConsumerFlags({ workMs: "-1" })).toThrow(/--work-ms must be a whole number from 0 to 900,000/);
    expect(() => parseConsumerFlags({ failRate: "2%" })).toThrow(/--fail-rate must be a fraction from 0 to 1/);
    expect(() => parseConsumerFlags({ failRate: "0.6", failOnceRate: "0.6" })).toThrow(/add up to more than 1/);
    expect(() => parseConsumerFlags({ seed: "4294967296" })).toThrow(/--seed/);
  });
});

describe("predictDrain", () => {
  const messages = (count: number, groups: number, directives: (i: number) => { work?: number; fail?: "once" | "always" } | undefined) =>
    Array.from({ length: count }, (_, i) => ({ group: `g${i % groups}`, directives: directives(i) }));

  test("1,000 messages of 20 ms over 10 groups take 2 s: count × work ÷ groups in parallel", () => {
    const p = predictDrain({ messages: messages(1000, 10, () => ({ work: 20 })), groups: 10, sendMs: 416, settings: TEMPLATE_SETTINGS });
    expect(p.drainMs).toBe(2000);
    expect([p.lanes, p.workMs, p.longestGroupMs, p.spreadMs]).toEqual([10, 20, 2000, 2000]);
  });

  test("more groups than the concurrency: the work spreads over MaximumConcurrency lanes", () => {
    const p = predictDrain({
      messages: messages(1000, 50, () => ({ work: 20 })),
      groups: 50,
      sendMs: 0,
      settings: { ...TEMPLATE_SETTINGS, maximumConcurrency: 5 },
    });
    expect(p.lanes).toBe(5);
    expect(p.drainMs).toBe(4000);
    expect(p.bound).toBe("concurrency");
    // Reserved concurrency and the local cloud's environments bound it too.
    expect(concurrencyLimit({ ...TEMPLATE_SETTINGS, reservedConcurrency: 3 })).toBe(3);
    expect(concurrencyLimit({ ...TEMPLATE_SETTINGS, maximumConcurrency: 50, localEnvironmentLimit: 10 })).toBe(10);
    expect(concurrencyLimit(UNKNOWN_SETTINGS)).toBeNull();
  });

  test("failures make their group wait: a visibility timeout per fail-once, maxReceiveCount of them per fail-always", () => {
    const settings = { ...TEMPLATE_SETTINGS, visibilityTimeoutSeconds: 2, maxReceiveCount: 2, batchSize: 1 };
    const p = predictDrain({
      messages: messages(20, 2, (i) => (i === 0 ? { fail: "always" } : i === 2 ? { fail: "once" } : undefined)),
      groups: 2,
      sendMs: 0,
      settings,
    });
    // Group g0: one fail-always (2 × 2 s) and one fail-once (2 s).
    expect(p.longestGroupMs).toBe(6000);
    expect([p.failAlways, p.failOnce, p.deadLetterAfterMs]).toEqual([1, 1, 4000]);
    expect(p.caveats).toEqual([]);
    const batched = predictDrain({
      messages: messages(20, 2, (i) => (i === 0 ? { fail: "always" } : undefined)),
      groups: 2,
      sendMs: 0,
      settings: { ...settings, batchSize: 10 },
    });
    expect(batched.caveats.join(" ")).toMatch(/dead-lettered with it/);
  });

  test("work is capped the way the handler caps it: a full batch within the function's timeout", () => {
    const p = predictDrain({
      messages: messages(10, 1, () => ({ work: 5000 })),
      groups: 1,
      sendMs: 0,
      settings: { ...TEMPLATE_SETTINGS, functionTimeoutSeconds: 5, batchSize: 10 },
    });
    expect(p.workMs).toBe(400);
    expect(p.caveats.join(" ")).toMatch(/work capped at 400 ms/);
  });

  test("a slow sender bounds it, and unknown settings are named", () => {
    const p = predictDrain({ messages: messages(100, 10, () => ({ work: 1 })), groups: 10, sendMs: 5000, settings: UNKNOWN_SETTINGS });
    expect(p.bound).toBe("sending");
    expect(p.drainMs).toBe(5001);
    expect(p.caveats.join(" ")).toMatch(/concurrency could not be read/);
  });

  test("the default timeout grows with the prediction", () => {
    expect(defaultTimeoutMs(null)).toBe(60_000);
    const long = predictDrain({
      messages: messages(10, 1, (i) => (i === 0 ? { fail: "always" } : undefined)),
      groups: 1,
      sendMs: 0,
      settings: TEMPLATE_SETTINGS,
    });
    expect(long.drainMs).toBe(450_000);
    expect(defaultTimeoutMs(long)).toBe(705_000);
  });
});

describe("peakOverlap", () => {
  test("counts the invocations open at once", () => {
    expect(peakOverlap([])).toBe(0);
    expect(
      peakOverlap([
        { from: 0, to: 10 },
        { from: 5, to: 15 },
        { from: 10, to: 20 },
        { from: 30, to: 30 },
      ]),
    ).toBe(2);
  });
});

describe("describeConsumerPlan", () => {
  test("says what the messages ask, the seed, and the prediction with its settings, before sending", async () => {
    const { describeConsumerPlan } = await import("../../../../src/client/burst/render/consumer.js");
    const settings = { ...TEMPLATE_SETTINGS, visibilityTimeoutSeconds: 2, maxReceiveCount: 2, batchSize: 1 };
    const plan = planBurst({
      count: 500,
      connections: 10,
      groups: 10,
      rate: { kind: "max" },
      size: 0,
      runId: "r",
      consumer: { workMs: 0, failRate: 0.02, failOnceRate: 0, seed: 7 },
    });
    const prediction = predictDrain({ messages: plan.messages, groups: 10, sendMs: 0, settings });
    const lines = describeConsumerPlan({
      runId: "r",
      url: "ws://x",
      queueUrl: null,
      deadLetterQueueUrl: null,
      count: 500,
      connections: 10,
      activeConnections: 10,
      groups: 10,
      rate: { kind: "max" },
      size: 0,
      timeoutMs: 60_000,
      pollIntervalMs: 250,
      consumer: {
        flags: { workMs: 0, failRate: 0.02, failOnceRate: 0, seed: 7 },
        failAlways: plan.messages.filter((m) => m.directives?.fail === "always").map((m) => m.id),
        failOnce: [],
        settings,
        prediction,
      },
    });
    expect(lines[0]).toBe("consumer: 10 messages fail on every delivery (--fail-rate 0.02); drawn with --seed 7");
    expect(lines[1]).toMatch(/^predicted drain .*\(batches of up to 1, MaximumConcurrency 10, visibility timeout 2 s, maxReceiveCount 2\)$/);
    expect(lines[2]).toMatch(/blocks its group for 4\.00 s \(maxReceiveCount × visibility timeout\)/);
  });
});
