import { describe, expect, it } from "vitest";
import { buildMessage, parseIncomingFrame } from "../../../src/shared/pattern-messages.js";

describe("pattern messages", () => {
  it("builds a frame with the pattern's fields", () => {
    const frame = JSON.parse(buildMessage({ id: "m1", group: "g", seq: 3, data: "hi", sentAt: 5 }));
    expect(frame).toEqual({ action: "send", id: "m1", MessageGroupId: "g", seq: 3, sentAt: 5, data: "hi" });
  });

  it("classifies results, API Gateway error frames and anything else", () => {
    const result = {
      type: "result",
      id: "m1",
      seq: 1,
      messageId: "x",
      group: "g",
      sequenceNumber: "1",
      receiveCount: 1,
      connectionId: "c",
      requestId: "r",
      queueWaitMs: 3,
      processedAt: 1,
      data: "hi",
    };
    expect(parseIncomingFrame(JSON.stringify(result))).toEqual({ kind: "result", result });
    expect(parseIncomingFrame('{"message":"Internal server error","connectionId":"c","requestId":"r"}').kind).toBe("api-error");
    expect(parseIncomingFrame("not json")).toEqual({ kind: "other", raw: "not json", json: undefined });
    expect(parseIncomingFrame('{"message":"hi","extra":1}').kind).toBe("other");
  });
});
