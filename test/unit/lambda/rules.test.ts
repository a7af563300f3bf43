import { describe, expect, it } from "vitest";
import { checkMappingSettings, checkEnvironment, checkRuntime, checkTimeout, checkFunctionName } from "../../../src/local/lambda/validation.js";
import { billedDurationMs, reportLine, timeoutLine, logStreamName } from "../../../src/local/lambda/log-format.js";
import { isSafeEntryName } from "../../../src/local/lambda/code.js";

describe("event source mapping settings", () => {
  it("defaults to batches of 10 without a window", () => {
    expect(checkMappingSettings({}, true)).toEqual({
      batchSize: 10,
      maximumBatchingWindowInSeconds: 0,
      functionResponseTypes: [],
      maximumConcurrency: undefined,
    });
  });
  it("caps FIFO batches at 10 and refuses a batching window on FIFO", () => {
    expect(() => checkMappingSettings({ BatchSize: 11 }, true)).toThrow(/between 1 and 10 for FIFO/);
    expect(() => checkMappingSettings({ MaximumBatchingWindowInSeconds: 5 }, true)).toThrow(/not supported for FIFO/);
    expect(checkMappingSettings({ BatchSize: 100, MaximumBatchingWindowInSeconds: 1 }, false).batchSize).toBe(100);
    expect(() => checkMappingSettings({ BatchSize: 100 }, false)).toThrow(/greater than 0/);
  });
  it("checks MaximumConcurrency (2-1000) and the response types; an update keeps what it does not change", () => {
    expect(() => checkMappingSettings({ ScalingConfig: { MaximumConcurrency: 1 } }, true)).toThrow(/between 2 and 1000/);
    expect(() => checkMappingSettings({ FunctionResponseTypes: ["Nope"] }, true)).toThrow(/ReportBatchItemFailures/);
    const previous = checkMappingSettings({ BatchSize: 4, ScalingConfig: { MaximumConcurrency: 7 }, FunctionResponseTypes: ["ReportBatchItemFailures"] }, true);
    expect(checkMappingSettings({ BatchSize: 2 }, true, previous)).toEqual({ ...previous, batchSize: 2 });
  });
});

describe("function settings", () => {
  it("accepts Node.js runtimes only, with a message that says so", () => {
    expect(checkRuntime("nodejs22.x")).toBe("nodejs22.x");
    expect(() => checkRuntime("python3.13")).toThrow(/runs Node\.js functions/);
  });
  it("checks names, timeouts and reserved environment keys as Lambda does", () => {
    expect(() => checkFunctionName("has space")).toThrow(/regular expression/);
    expect(() => checkFunctionName("x".repeat(65))).toThrow(/64/);
    expect(() => checkTimeout(901)).toThrow(/900/);
    expect(checkTimeout(undefined)).toBe(3);
    expect(() => checkEnvironment({ Variables: { AWS_REGION: "x" } })).toThrow(/Reserved keys used in this request: AWS_REGION/);
    expect(() => checkEnvironment({ Variables: { BIG: "x".repeat(5000) } })).toThrow(/4KB/);
  });
});

describe("Lambda's platform log lines", () => {
  it("formats REPORT as Lambda does, with Init Duration only on a cold start", () => {
    expect(reportLine("r", { durationMs: 12.345, memorySizeMb: 128, maxMemoryUsedMb: 40 })).toBe(
      "REPORT RequestId: r\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t",
    );
    expect(reportLine("r", { durationMs: 1, memorySizeMb: 128, maxMemoryUsedMb: 40, initDurationMs: 100.5, status: "timeout" })).toContain(
      "Init Duration: 100.50 ms\tStatus: timeout",
    );
    expect(billedDurationMs(1.2, 100.5)).toBe(102);
  });
  it("says `Task timed out after N.NN seconds`", () => {
    expect(timeoutLine(Date.UTC(2026, 10, 24), "r", 3)).toBe("2026-11-24T00:00:00.000Z r Task timed out after 3.00 seconds");
  });
  it("names one stream per execution environment", () => {
    expect(logStreamName(Date.UTC(2026, 0, 5))).toMatch(/^2026\/01\/05\/\[\$LATEST\][0-9a-f]{32}$/);
  });
});

describe("zip entries", () => {
  it.each(["../x", "a/../../x", "/etc/passwd", "C:\\x", "a\\..\\..\\x", ""])("refuses %j", (name) => expect(isSafeEntryName(name)).toBe(false));
  it.each(["index.js", "src/app.mjs", "node_modules/a/b.js", "dir/"])("accepts %j", (name) => expect(isSafeEntryName(name)).toBe(true));
});
