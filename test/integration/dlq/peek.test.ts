import { describe, expect, it } from "vitest";
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { peekDeadLetters } from "../../../src/client/dlq/peek.js";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";

// The walk behind `wsq dlq list`, through the SDK against a real local cloud: it pages past the
// first ten messages, gives every message back, and leaves the queue's order as it was.

async function queue(fifo: boolean, messages: { body: string; group?: string }[]) {
  const cloud = await useTestCloud();
  const sqs = new SQSClient(sdkConfig(cloud));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: fifo ? "q.fifo" : "q", Attributes: fifo ? { FifoQueue: "true" } : {} }));
  for (let i = 0; i < messages.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: messages.slice(i, i + 10).map((m, k) => ({
          Id: `e${k}`,
          MessageBody: m.body,
          ...(fifo ? { MessageGroupId: m.group ?? "g", MessageDeduplicationId: `${i + k}` } : {}),
        })),
      }),
    );
  }
  return { sqs, url: QueueUrl as string };
}

/** Everything in the queue, in the order receives hand it out, with receive counts; deleted. */
async function drain(sqs: SQSClient, url: string): Promise<{ body: string; count: number }[]> {
  const out: { body: string; count: number }[] = [];
  for (;;) {
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }));
    if (!got.Messages) return out;
    for (const m of got.Messages) out.push({ body: m.Body as string, count: Number(m.Attributes?.ApproximateReceiveCount) });
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: got.Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }));
  }
}

describe("peeking at a dead-letter queue", () => {
  it("standard: sees all 25 messages past the first ten, and hands every one back", async () => {
    const bodies = Array.from({ length: 25 }, (_, i) => `m${i}`);
    const { sqs, url } = await queue(
      false,
      bodies.map((body) => ({ body })),
    );
    const peek = await peekDeadLetters(sqs, url, { limit: 100 });
    expect(peek.complete).toBe(true);
    expect(peek.releaseProblem).toBeNull();
    expect(peek.messages.map((m) => m.body).sort()).toEqual([...bodies].sort());
    expect(peek.messages.every((m) => m.receiveCount === 0)).toBe(true);
    const after = await drain(sqs, url);
    expect(after.map((m) => m.body).sort()).toEqual([...bodies].sort());
    // The peek counted as one receive; this drain is the second.
    expect(after.every((m) => m.count === 2)).toBe(true);
  });

  it("FIFO: a group's messages past the first ten stay hidden and are reported so; order and content untouched", async () => {
    const sent = [
      ...Array.from({ length: 12 }, (_, i) => ({ body: `a${i}`, group: "a" })),
      ...Array.from({ length: 3 }, (_, i) => ({ body: `b${i}`, group: "b" })),
    ];
    const { sqs, url } = await queue(true, sent);
    const peek = await peekDeadLetters(sqs, url, { limit: 100 });
    expect(peek.depth).toEqual({ visible: 15, inFlight: 0 });
    expect(peek.complete).toBe(false);
    // Oldest first by sequence number: the first ten of a, then b.
    expect(peek.messages.map((m) => m.body)).toEqual([...sent.slice(0, 10), ...sent.slice(12)].map((m) => m.body));
    const again = await peekDeadLetters(sqs, url, { limit: 100 });
    expect(again.messages.map((m) => m.messageId)).toEqual(peek.messages.map((m) => m.messageId));
    expect(again.messages.map((m) => m.receiveCount)).toEqual(peek.messages.map((m) => m.receiveCount + 1));
    const after = await drain(sqs, url);
    for (const group of ["a", "b"]) {
      expect(after.filter((m) => m.body.startsWith(group)).map((m) => m.body)).toEqual(sent.filter((m) => m.group === group).map((m) => m.body));
    }
  });

  it("stops at the limit", async () => {
    const { sqs, url } = await queue(
      false,
      Array.from({ length: 15 }, (_, i) => ({ body: `m${i}` })),
    );
    const peek = await peekDeadLetters(sqs, url, { limit: 4 });
    expect(peek.messages).toHaveLength(4);
    expect(peek.complete).toBe(false);
    expect(await drain(sqs, url)).toHaveLength(15);
  });
});
