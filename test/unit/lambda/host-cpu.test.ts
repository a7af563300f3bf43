import { describe, expect, it } from "vitest";
import { HostCpu, MAX_READING_AGE_MS, MIN_READING_INTERVAL_MS, type CoreTimes } from "../../../src/local/lambda/host-cpu.js";

/** Two cores whose counters (ms) are set by the test. */
function host() {
  let clock = 0;
  const counters = [
    { busy: 0, idle: 0 },
    { busy: 0, idle: 0 },
  ];
  const cores = (): CoreTimes => counters.map(({ busy, idle }) => ({ times: { user: busy, nice: 0, sys: 0, idle, irq: 0 } }));
  const cpu = new HostCpu(cores, () => clock);
  const pass = (ms: number, busyShare: number) => {
    clock += ms;
    for (const core of counters) {
      core.busy += ms * busyShare;
      core.idle += ms * (1 - busyShare);
    }
  };
  return { cpu, pass };
}

describe("HostCpu", () => {
  it("reports the idle share of all cores between readings", () => {
    const { cpu, pass } = host();
    pass(500, 0.25);
    expect(cpu.idleShare()).toBeCloseTo(0.75);
    pass(400, 1);
    expect(cpu.idleShare()).toBe(0);
  });

  it("keeps its last answer until a reading is old enough to mean something", () => {
    const { cpu, pass } = host();
    pass(MIN_READING_INTERVAL_MS, 0);
    expect(cpu.idleShare()).toBe(1);
    pass(MIN_READING_INTERVAL_MS / 2, 1);
    expect(cpu.idleShare()).toBe(1);
    pass(MIN_READING_INTERVAL_MS / 2, 1);
    expect(cpu.idleShare()).toBe(0);
  });

  it("does not take a quiet stretch long past for idle CPU now: the share is 0 until a fresh reading", () => {
    const { cpu, pass } = host();
    pass(MAX_READING_AGE_MS * 5, 0);
    expect(cpu.idleShare()).toBe(0);
    pass(MIN_READING_INTERVAL_MS, 0.5);
    expect(cpu.idleShare()).toBeCloseTo(0.5);
  });

  it("lets one environment start per idle core a reading saw, and at least one when the share is reached", () => {
    const { cpu, pass } = host();
    pass(MIN_READING_INTERVAL_MS, 0);
    expect([cpu.takeIdle(0.25), cpu.takeIdle(0.25), cpu.takeIdle(0.25)]).toEqual([true, true, false]);
    pass(MIN_READING_INTERVAL_MS, 0.7);
    expect([cpu.takeIdle(0.25), cpu.takeIdle(0.25)]).toEqual([true, false]);
  });

  it("lets one environment start per reading of idle CPU", () => {
    const { cpu, pass } = host();
    pass(MIN_READING_INTERVAL_MS, 0.5);
    expect(cpu.takeIdle(0.25)).toBe(true);
    expect(cpu.takeIdle(0.25)).toBe(false);
    pass(MIN_READING_INTERVAL_MS, 0.5);
    expect(cpu.takeIdle(0.25)).toBe(true);
    pass(MIN_READING_INTERVAL_MS, 0.9);
    expect(cpu.takeIdle(0.25)).toBe(false);
  });
});
