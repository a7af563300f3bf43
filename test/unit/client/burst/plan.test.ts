import { describe, expect, test } from "vitest";
import { buildFrame, connectionOpenDelayMs, MAX_NEW_CONNECTIONS_PER_SECOND, parseRate, planBurst } from "../../../../src/client/burst/plan.js";

describe("planBurst", () => {
  test("spreads messages over groups round robin, numbers each group from 1, and binds a group to one connection", () => {
    const plan = planBurst({ count: 10, connections: 2, groups: 3, rate: { kind: "max" }, size: 0, runId: "r1" });
    expect(plan.messages.map((m) => m.groupIndex)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    expect(plan.messages.filter((m) => m.groupIndex === 0).map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(plan.messages.filter((m) => m.groupIndex === 2).map((m) => m.seq)).toEqual([1, 2, 3]);
    for (const m of plan.messages) expect(m.connection).toBe(m.groupIndex % 2);
    expect(new Set(plan.messages.map((m) => m.id)).size).toBe(10);
    expect(plan.messages.every((m) => m.id.startsWith("r1-") && m.group.includes("r1"))).toBe(true);
    expect(plan.activeConnections).toBe(2);
  });

  test("uses no more connections than there are groups or messages", () => {
    expect(planBurst({ count: 100, connections: 10, groups: 3, rate: { kind: "max" }, size: 0, runId: "r" }).activeConnections).toBe(3);
    expect(planBurst({ count: 2, connections: 10, groups: 10, rate: { kind: "max" }, size: 0, runId: "r" }).activeConnections).toBe(2);
  });

  test("a fixed rate schedules message i at i / rate; max makes the whole burst due at once", () => {
    const fixed = planBurst({ count: 5, connections: 1, groups: 1, rate: { kind: "fixed", perSecond: 200 }, size: 0, runId: "r" });
    expect(fixed.messages.map((m) => m.dueMs)).toEqual([0, 5, 10, 15, 20]);
    const max = planBurst({ count: 5, connections: 1, groups: 1, rate: { kind: "max" }, size: 0, runId: "r" });
    expect(max.messages.every((m) => m.dueMs === 0)).toBe(true);
  });
});

describe("buildFrame", () => {
  const [message] = planBurst({ count: 1, connections: 1, groups: 1, rate: { kind: "max" }, size: 0, runId: "abc" }).messages;
  test("pads the frame to exactly --size bytes and keeps the pattern's fields", () => {
    const frame = buildFrame(message!, 1000, 1_700_000_000_000);
    expect(Buffer.byteLength(frame)).toBe(1000);
    const parsed = JSON.parse(frame);
    expect(parsed).toMatchObject({ action: "send", id: "abc-0", MessageGroupId: message!.group, seq: 1, sentAt: 1_700_000_000_000 });
  });
  test("leaves a frame alone when --size is smaller than its natural size", () => {
    const natural = buildFrame(message!, 0, 1_700_000_000_000);
    expect(buildFrame(message!, 10, 1_700_000_000_000)).toBe(natural);
    expect(JSON.parse(natural).data).toBe("");
  });
});

describe("parseRate and connection pacing", () => {
  test("accepts max and positive numbers, rejects the rest", () => {
    expect(parseRate("max")).toEqual({ kind: "max" });
    expect(parseRate("MAX")).toEqual({ kind: "max" });
    expect(parseRate("250")).toEqual({ kind: "fixed", perSecond: 250 });
    expect(parseRate("0.5")).toEqual({ kind: "fixed", perSecond: 0.5 });
    for (const bad of ["0", "-1", "fast", "", "NaN", "Infinity"]) expect(parseRate(bad)).toBeUndefined();
  });
  test("opens connections no faster than API Gateway's 500 per second", () => {
    expect(MAX_NEW_CONNECTIONS_PER_SECOND).toBe(500);
    expect(connectionOpenDelayMs(0)).toBe(0);
    expect(connectionOpenDelayMs(500)).toBe(1000);
    expect(connectionOpenDelayMs(1)).toBe(2);
  });
});
