import { describe, expect, test } from "vitest";
import { parseBurstFlags, type BurstFlags } from "../../../../src/client/burst/options.js";
import { ExitCode, WsqError } from "../../../../src/shared/errors.js";

const defaults: BurstFlags = { count: "1000", connections: "10", rate: "max", size: "0", timeout: "60", pollInterval: "250", connectTimeout: "10" };

describe("parseBurstFlags", () => {
  test("turns the defaults into numbers; groups default to one per connection", () => {
    const settings = parseBurstFlags(defaults, "run1");
    expect(settings).toMatchObject({
      count: 1000,
      connections: 10,
      groups: 10,
      rate: { kind: "max" },
      size: 0,
      timeoutMs: 60_000,
      pollIntervalMs: 250,
      runId: "run1",
    });
  });

  test("--rate auto (the default) is decided once the queue's mode is known; --strict-send-order is off unless given", () => {
    expect(parseBurstFlags({ ...defaults, rate: "auto" }, "r").rate).toEqual({ kind: "auto" });
    expect(parseBurstFlags({ ...defaults, rate: "250" }, "r").rate).toEqual({ kind: "fixed", perSecond: 250 });
    expect(parseBurstFlags(defaults, "r").strictSendOrder).toBe(false);
    expect(parseBurstFlags({ ...defaults, strictSendOrder: true }, "r").strictSendOrder).toBe(true);
  });

  test.each([
    [{ count: "0" }, "--count"],
    [{ count: "1.5" }, "--count"],
    [{ connections: "0" }, "--connections"],
    [{ groups: "0" }, "--groups"],
    [{ rate: "fast" }, "--rate"],
    [{ size: "40000" }, "--size"],
    [{ size: "-1" }, "--size"],
    [{ timeout: "0" }, "--timeout"],
    [{ pollInterval: "5" }, "--poll-interval"],
  ])("rejects %o as a usage error naming %s", (override, flag) => {
    let caught: unknown;
    try {
      parseBurstFlags({ ...defaults, ...override });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WsqError);
    expect((caught as WsqError).exitCode).toBe(ExitCode.usage);
    expect((caught as WsqError).message).toContain(flag);
  });

  test("--size above API Gateway's 32 KB frame limit names the close code in its hint", () => {
    expect(() => parseBurstFlags({ ...defaults, size: "32769" })).toThrow(/32768/);
    try {
      parseBurstFlags({ ...defaults, size: "32769" });
    } catch (error) {
      expect((error as WsqError).hint).toContain("1009");
    }
    expect(parseBurstFlags({ ...defaults, size: "32768" }).size).toBe(32768);
  });
});
