import { describe, expect, it } from "vitest";
import { HostCpu, MIN_READING_INTERVAL_MS, type CoreTimes } from "../../../src/local/lambda/host-cpu.js";

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
});
