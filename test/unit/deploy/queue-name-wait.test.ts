import { describe, expect, it } from "vitest";
import { QUEUE_NAME_REUSE_MS, queueNamesFreeAt } from "../../../src/deploy/queue-name-wait.js";

const now = 1_800_000_000_000;
const event = (type: string, status: string, agoMs: number) => ({ ResourceType: type, ResourceStatus: status as never, Timestamp: new Date(now - agoMs) });

describe("when SQS takes the names of a deleted stack's queues again", () => {
  it("is a minute (and a second of margin) after the last queue deletion", () => {
    const events = [event("AWS::SQS::Queue", "DELETE_COMPLETE", 10_000), event("AWS::SQS::Queue", "DELETE_COMPLETE", 30_000)];
    expect(queueNamesFreeAt(events, now)).toBe(now - 10_000 + QUEUE_NAME_REUSE_MS + 1_000);
  });

  it("is nothing to wait for once that minute has passed, or when no queue was deleted", () => {
    expect(queueNamesFreeAt([event("AWS::SQS::Queue", "DELETE_COMPLETE", 61_001)], now)).toBeUndefined();
    expect(queueNamesFreeAt([event("AWS::SQS::Queue", "DELETE_IN_PROGRESS", 5_000), event("AWS::SQS::Queue", "CREATE_COMPLETE", 5_000)], now)).toBeUndefined();
    expect(queueNamesFreeAt([event("AWS::Lambda::Function", "DELETE_COMPLETE", 5_000)], now)).toBeUndefined();
    expect(queueNamesFreeAt([{ ResourceType: "AWS::SQS::Queue", ResourceStatus: "DELETE_COMPLETE", Timestamp: undefined }], now)).toBeUndefined();
    expect(queueNamesFreeAt([], now)).toBeUndefined();
  });
});
