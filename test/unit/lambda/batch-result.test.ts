import { describe, expect, it } from "vitest";
import { judgeBatch, type BatchMessage } from "../../../src/local/lambda/batch-result.js";
import type { InvokeOutcome } from "../../../src/local/contracts.js";

const batch: BatchMessage[] = [
  { messageId: "a1", groupId: "a" },
  { messageId: "b1", groupId: "b" },
  { messageId: "a2", groupId: "a" },
  { messageId: "a3", groupId: "a" },
  { messageId: "b2", groupId: "b" },
];
const ok = (payload: unknown): InvokeOutcome => ({ requestId: "r", payload });
const fifo = { reportBatchItemFailures: true, fifo: true };
const standard = { reportBatchItemFailures: true, fifo: false };

describe("judgeBatch (ReportBatchItemFailures rules)", () => {
  it("a function error fails the whole batch, with or without ReportBatchItemFailures", () => {
    const failed: InvokeOutcome = { requestId: "r", payload: undefined, functionError: "Unhandled", error: { errorType: "Error", errorMessage: "x" } };
    expect(judgeBatch(batch, failed, fifo).kind).toBe("failure");
    expect(judgeBatch(batch, failed, { reportBatchItemFailures: false, fifo: true }).kind).toBe("failure");
  });

  it("without ReportBatchItemFailures any response is a success", () => {
    expect(judgeBatch(batch, ok({ batchItemFailures: [{ itemIdentifier: "a1" }] }), { reportBatchItemFailures: false, fifo: true })).toEqual({
      kind: "success",
      delete: ["a1", "b1", "a2", "a3", "b2"],
    });
  });

  it.each([undefined, null, {}, { batchItemFailures: [] }, { batchItemFailures: null }])("treats %j as success", (payload) => {
    expect(judgeBatch(batch, ok(payload), fifo).kind).toBe("success");
  });

  it.each([
    ["a string", "oops"],
    ["an array", []],
    ["a number", 3],
    ["a non-list batchItemFailures", { batchItemFailures: "a1" }],
    ["a null itemIdentifier", { batchItemFailures: [{ itemIdentifier: null }] }],
    ["an empty itemIdentifier", { batchItemFailures: [{ itemIdentifier: "" }] }],
    ["a misnamed key", { batchItemFailures: [{ itemIdentifer: "a1" }] }],
    ["an unknown message id", { batchItemFailures: [{ itemIdentifier: "zz" }] }],
    ["a non-object entry", { batchItemFailures: ["a1"] }],
  ])("fails the whole batch for %s", (_what, payload) => {
    expect(judgeBatch(batch, ok(payload), fifo).kind).toBe("failure");
  });

  it("standard queue: only the listed messages are retried", () => {
    expect(judgeBatch(batch, ok({ batchItemFailures: [{ itemIdentifier: "a2" }] }), standard)).toEqual({
      kind: "partial",
      delete: ["a1", "b1", "a3", "b2"],
      retry: ["a2"],
    });
  });

  it("FIFO: everything after a group's first failure is retried too, other groups are not held back", () => {
    expect(judgeBatch(batch, ok({ batchItemFailures: [{ itemIdentifier: "a2" }] }), fifo)).toEqual({
      kind: "partial",
      delete: ["a1", "b1", "b2"],
      retry: ["a2", "a3"],
    });
    expect(judgeBatch(batch, ok({ batchItemFailures: [{ itemIdentifier: "b1" }, { itemIdentifier: "a3" }] }), fifo)).toEqual({
      kind: "partial",
      delete: ["a1", "a2"],
      retry: ["b1", "a3", "b2"],
    });
  });
});
