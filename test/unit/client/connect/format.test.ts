import { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { describeDirectives, formatResult, formatSent } from "../../../../src/client/connect/format.js";
import type { SentMessage } from "../../../../src/client/connect/correlation.js";
import type { SessionEvent } from "../../../../src/client/connect/session.js";
import type { PatternResult } from "../../../../src/shared/pattern-messages.js";

const plain = new Chalk({ level: 0 });

const sent: SentMessage = { index: 3, id: "s-3", group: "g1", seq: 3, frame: "{}", sentAtMs: 0, connection: 1, status: "answered" };

function resultEvent(result: Partial<PatternResult>): Extract<SessionEvent, { type: "result" }> {
  return {
    type: "result",
    message: sent,
    rttMs: 250,
    outOfOrder: false,
    overtakenBySeq: null,
    reorderedBeforeQueue: false,
    queuedAfterSeq: null,
    duplicate: false,
    correlatedBy: "id",
    result: {
      type: "result",
      id: "s-3",
      seq: 3,
      messageId: "m",
      group: "g1",
      sequenceNumber: "1",
      receiveCount: 1,
      connectionId: "c",
      requestId: "r",
      queueWaitMs: 12,
      processedAt: 0,
      data: "hi",
      ...result,
    },
  };
}

const consumer = {
  environment: "ab12cd34",
  invocation: "i",
  batchSize: 1,
  workMs: 200,
  requestedWorkMs: 200,
  fail: null,
  redriven: false,
  directiveError: null,
};

describe("connect's lines for consumer directives", () => {
  it("says what the next message asks of the consumer when it is sent", () => {
    expect(formatSent({ ...sent, directives: { work: 200, fail: "once" } }, plain)).toBe("→ #3 sent · group g1 seq 3 · works 200 ms, fails its first delivery");
    expect(describeDirectives({ fail: "always" })).toBe("fails every delivery (ends in the DLQ)");
  });

  it("shows the work done, a retry after a directed failure, a cap, a redrive and ignored directives", () => {
    expect(formatResult(resultEvent({ consumer }), plain)).toMatch(/worked 200 ms\)/);
    expect(formatResult(resultEvent({ receiveCount: 2, consumer: { ...consumer, fail: "once" } }), plain)).toMatch(
      /delivery 2 · worked 200 ms · its first delivery failed as directed/,
    );
    expect(formatResult(resultEvent({ consumer: { ...consumer, workMs: 13_800, requestedWorkMs: 60_000 } }), plain)).toMatch(
      /worked 13800 ms of 60000 \(capped/,
    );
    expect(formatResult(resultEvent({ consumer: { ...consumer, redriven: true, fail: "always" } }), plain)).toMatch(
      /redriven from the DLQ: "fail":"always" was void/,
    );
    expect(formatResult(resultEvent({ consumer: { ...consumer, requestedWorkMs: null, directiveError: '"work" must be …' } }), plain)).toMatch(
      /directives ignored: "work" must be/,
    );
  });
});
