import { describe, expect, it } from "vitest";
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";

async function fifo(attributes: Record<string, string> = {}, name = "orders.fifo") {
  const cloud = await useTestCloud();
  const client = new SQSClient(sdkConfig(cloud));
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: "true", ...attributes } }));
  return { cloud, client, url: QueueUrl as string };
}

const all = { MessageSystemAttributeNames: ["All" as const], MessageAttributeNames: ["All"] };

describe("SQS FIFO queues through @aws-sdk/client-sqs", () => {
  it("keeps strict order per group across several groups, a receive taking as much of one group as it can", async () => {
    const { client, url } = await fifo();
    const sequence: string[] = [];
    for (let i = 0; i < 12; i++) {
      const group = ["A", "B", "C"][i % 3] as string;
      const sent = await client.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: `${group}${i}`, MessageGroupId: group, MessageDeduplicationId: `d${i}` }),
      );
      sequence.push(sent.SequenceNumber as string);
    }
    // SequenceNumber: large, increasing, not consecutive.
    for (let i = 1; i < sequence.length; i++) {
      expect(BigInt(sequence[i] as string) > BigInt(sequence[i - 1] as string)).toBe(true);
      expect(BigInt(sequence[i] as string) - BigInt(sequence[i - 1] as string) > 1n).toBe(true);
    }
    expect((sequence[0] as string).length).toBe(20);

    const first = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 5, ...all }));
    // Group A first (it holds the oldest message), all four of its messages, then one of B.
    expect(first.Messages?.map((m) => m.Body)).toEqual(["A0", "A3", "A6", "A9", "B1"]);
    expect(first.Messages?.[0]?.Attributes).toMatchObject({ MessageGroupId: "A", MessageDeduplicationId: "d0", SequenceNumber: sequence[0] });

    // A and B are now in flight: only C is deliverable.
    const second = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(second.Messages?.map((m) => m.Body)).toEqual(["C2", "C5", "C8", "C11"]);
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages).toBeUndefined();

    // Deleting B1 unblocks B at its next message, in order.
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages![4]!.ReceiptHandle }));
    const third = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(third.Messages?.map((m) => m.Body)).toEqual(["B4", "B7", "B10"]);
  });

  it("blocks the head of a group: after a visibility timeout the same message comes back before any later one", async () => {
    const { client, url } = await fifo();
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [1, 2, 3].map((i) => ({ Id: `m${i}`, MessageBody: `m${i}`, MessageGroupId: "g", MessageDeduplicationId: `m${i}` })),
      }),
    );
    const first = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1, VisibilityTimeout: 1 }));
    expect(first.Messages?.map((m) => m.Body)).toEqual(["m1"]);
    // m1 in flight: m2 must not be delivered.
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }))).Messages).toBeUndefined();
    // Long poll until m1's visibility expires; m1 is delivered again, first.
    const again = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 5, ...all }));
    expect(again.Messages?.map((m) => m.Body)).toEqual(["m1", "m2", "m3"]);
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe("2");
    // The first receipt handle expired: FIFO refuses it.
    await expect(client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages![0]!.ReceiptHandle }))).rejects.toMatchObject({
      name: "InvalidParameterValue",
      message: expect.stringContaining("The receipt handle has expired."),
      $metadata: { httpStatusCode: 400 },
    });
    // Releasing m2 while m1 and m3 stay in flight still delivers nothing of the group.
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: again.Messages![1]!.ReceiptHandle, VisibilityTimeout: 0 }));
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
  });

  it("deduplicates by explicit id within the window, even after the original was deleted", async () => {
    const { client, url } = await fifo();
    const original = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "one", MessageGroupId: "g", MessageDeduplicationId: "same" }));
    const duplicate = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "two", MessageGroupId: "g", MessageDeduplicationId: "same" }));
    expect(duplicate.MessageId).toBe(original.MessageId);
    expect(duplicate.SequenceNumber).toBe(original.SequenceNumber);
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(["one"]);
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: got.Messages![0]!.ReceiptHandle }));
    const afterDelete = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "three", MessageGroupId: "g", MessageDeduplicationId: "same" }));
    expect(afterDelete.MessageId).toBe(original.MessageId);
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    const counts = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }));
    expect(counts.Attributes?.ApproximateNumberOfMessages).toBe("0");
  });

  it("deduplicates by content (SHA-256 of the body, not the attributes) when ContentBasedDeduplication is on", async () => {
    const { client, url } = await fifo({ ContentBasedDeduplication: "true" });
    const a = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "same body", MessageGroupId: "g" }));
    const b = await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "same body",
        MessageGroupId: "g",
        MessageAttributes: { x: { DataType: "String", StringValue: "y" } },
      }),
    );
    const c = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "other body", MessageGroupId: "g" }));
    expect(b.MessageId).toBe(a.MessageId);
    expect(c.MessageId).not.toBe(a.MessageId);
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, ...all }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(["same body", "other body"]);
    expect(got.Messages?.[0]?.Attributes?.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it("scopes deduplication to the message group when DeduplicationScope is messageGroup", async () => {
    const { client, url } = await fifo({ DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" });
    const a = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "a", MessageGroupId: "g1", MessageDeduplicationId: "id" }));
    const b = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "b", MessageGroupId: "g2", MessageDeduplicationId: "id" }));
    const c = await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "c", MessageGroupId: "g1", MessageDeduplicationId: "id" }));
    expect(b.MessageId).not.toBe(a.MessageId);
    expect(c.MessageId).toBe(a.MessageId);
  });

  it("returns the same messages and handles for a retried ReceiveRequestAttemptId", async () => {
    const { client, url } = await fifo();
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", MessageGroupId: "g", MessageDeduplicationId: "x" }));
    const first = await client.send(new ReceiveMessageCommand({ QueueUrl: url, ReceiveRequestAttemptId: "attempt-1" }));
    const retry = await client.send(new ReceiveMessageCommand({ QueueUrl: url, ReceiveRequestAttemptId: "attempt-1" }));
    expect(retry.Messages?.[0]?.ReceiptHandle).toBe(first.Messages?.[0]?.ReceiptHandle);
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: url, ReceiveRequestAttemptId: "attempt-2" }))).Messages).toBeUndefined();
  });

  it("redrives a FIFO message to a FIFO dead-letter queue and keeps the group moving", async () => {
    const { client, url: dlq } = await fifo({}, "dead.fifo");
    const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    const { QueueUrl: source } = await client.send(
      new CreateQueueCommand({
        QueueName: "src.fifo",
        Attributes: { FifoQueue: "true", RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
      }),
    );
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: source,
        Entries: ["p", "q"].map((b) => ({ Id: b, MessageBody: b, MessageGroupId: "g", MessageDeduplicationId: b })),
      }),
    );
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 1, VisibilityTimeout: 0 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(["p"]);
    // p was received once (= maxReceiveCount): the next receive moves it and delivers q.
    const next = await client.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10 }));
    expect(next.Messages?.map((m) => m.Body)).toEqual(["q"]);
    const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: dlq, ...all }));
    expect(dead.Messages?.map((m: Message) => [m.Body, m.MessageId])).toEqual([["p", got.Messages![0]!.MessageId]]);
    expect(dead.Messages?.[0]?.Attributes?.MessageGroupId).toBe("g");
    // The DLQ copy's deduplication id is the message's id, not the sender's (DLQ redrive guide).
    expect(dead.Messages?.[0]?.Attributes?.MessageDeduplicationId).toBe(got.Messages![0]!.MessageId);
  });

  it("drains many messages of many groups in order with concurrent consumers", async () => {
    const { client, url } = await fifo();
    const groups = 5;
    const perGroup = 20;
    for (let i = 0; i < perGroup; i++) {
      await client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: groups }, (_, g) => ({
            Id: `g${g}`,
            MessageBody: `${g}:${i}`,
            MessageGroupId: `g${g}`,
            MessageDeduplicationId: `${g}-${i}`,
          })),
        }),
      );
    }
    const seen = new Map<string, number[]>();
    const consumer = async () => {
      for (;;) {
        const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        if (!got.Messages) return;
        for (const m of got.Messages) {
          const [g, i] = (m.Body as string).split(":");
          seen.set(g as string, [...(seen.get(g as string) ?? []), Number(i)]);
        }
        await client.send(
          new DeleteMessageBatchCommand({ QueueUrl: url, Entries: got.Messages.map((m, k) => ({ Id: `${k}`, ReceiptHandle: m.ReceiptHandle })) }),
        );
      }
    };
    await Promise.all([consumer(), consumer(), consumer()]);
    expect(seen.size).toBe(groups);
    for (const list of seen.values()) expect(list).toEqual(Array.from({ length: perGroup }, (_, i) => i));
  });
});
