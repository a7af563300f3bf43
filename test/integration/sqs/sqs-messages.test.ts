import { describe, expect, it } from "vitest";
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { createHash } from "node:crypto";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";

async function setup(attributes: Record<string, string> = {}, name = "q1") {
  const cloud = await useTestCloud();
  const client = new SQSClient(sdkConfig(cloud));
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return { cloud, client, url: QueueUrl as string };
}

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");

describe("SQS standard queue messages through @aws-sdk/client-sqs", () => {
  it("sends, receives with attributes and MD5s the SDK verifies, and deletes", async () => {
    const { client, url } = await setup();
    const body = "héllo wörld \u{1F600}\r\nline";
    const sent = await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        MessageAttributes: {
          connectionId: { DataType: "String", StringValue: "abc=" },
          count: { DataType: "Number", StringValue: "42" },
          blob: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
        },
        MessageSystemAttributes: { AWSTraceHeader: { DataType: "String", StringValue: "Root=1-abc" } },
      }),
    );
    expect(sent.MD5OfMessageBody).toBe(md5(body));
    // Known vector: the documented algorithm over these three attributes.
    expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(sent.MD5OfMessageSystemAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(sent.SequenceNumber).toBeUndefined();

    const received = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"], MaxNumberOfMessages: 10 }),
    );
    expect(received.Messages).toHaveLength(1);
    const message = received.Messages![0]!;
    expect(message.Body).toBe(body);
    expect(message.MessageId).toBe(sent.MessageId);
    expect(message.MD5OfBody).toBe(md5(body));
    expect(message.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message.MessageAttributes?.connectionId?.StringValue).toBe("abc=");
    expect(message.MessageAttributes?.count).toEqual({ DataType: "Number", StringValue: "42" });
    expect(Buffer.from(message.MessageAttributes!.blob!.BinaryValue!)).toEqual(Buffer.from([1, 2, 3]));
    expect(message.Attributes?.ApproximateReceiveCount).toBe("1");
    expect(message.Attributes?.AWSTraceHeader).toBe("Root=1-abc");
    expect(Number(message.Attributes?.SentTimestamp)).toBeGreaterThan(0);
    expect(Number(message.Attributes?.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(message.Attributes?.SentTimestamp));

    // In flight: not received again, counted as NotVisible.
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    const attributes = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }));
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe("0");
    expect(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe("1");

    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
    const after = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessagesNotVisible"] }));
    expect(after.Attributes).toEqual({ ApproximateNumberOfMessagesNotVisible: "0" });
  });

  it("selects message attributes by name and prefix", async () => {
    const { client, url } = await setup();
    await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: "x",
        MessageAttributes: { "a.one": { DataType: "String", StringValue: "1" }, b: { DataType: "String", StringValue: "2" } },
      }),
    );
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ["a.*"] }));
    expect(Object.keys(got.Messages![0]!.MessageAttributes ?? {})).toEqual(["a.one"]);
    expect(got.Messages![0]!.Attributes).toBeUndefined();
  });

  it("makes a message visible again when its visibility timeout expires, counting receives", async () => {
    const { client, url } = await setup();
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "again" }));
    const first = await client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 1, AttributeNames: ["All"] }));
    expect(first.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe("1");
    // Long poll: the scheduler wakes the poll when the visibility deadline passes.
    const second = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5, AttributeNames: ["All"] }));
    expect(second.Messages?.[0]?.Body).toBe("again");
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(second.Messages?.[0]?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);
    // The first handle is stale: deleting with it succeeds but does not delete (API_DeleteMessage).
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages![0]!.ReceiptHandle }));
    const counts = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessagesNotVisible"] }));
    expect(counts.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe("1");
  });

  it("changes visibility (single and batch) and refuses a message that is not in flight", async () => {
    const { client, url } = await setup();
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "a", MessageBody: "1" },
          { Id: "b", MessageBody: "2" },
        ],
      }),
    );
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(got.Messages).toHaveLength(2);
    const [m1, m2] = got.Messages!;
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m1!.ReceiptHandle, VisibilityTimeout: 0 }));
    await expect(
      client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m1!.ReceiptHandle, VisibilityTimeout: 10 })),
    ).rejects.toMatchObject({
      name: "MessageNotInflight",
      $metadata: { httpStatusCode: 400 },
    });
    const batch = await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: "ok", ReceiptHandle: m2!.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: "bad", ReceiptHandle: "not-a-handle", VisibilityTimeout: 0 },
        ],
      }),
    );
    expect(batch.Successful?.map((s) => s.Id)).toEqual(["ok"]);
    expect(batch.Failed?.[0]).toMatchObject({ Id: "bad", Code: "ReceiptHandleIsInvalid", SenderFault: true });
    const again = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(again.Messages?.map((m) => m.Body).sort()).toEqual(["1", "2"]);
    const deleted = await client.send(
      new DeleteMessageBatchCommand({ QueueUrl: url, Entries: again.Messages!.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }),
    );
    expect(deleted.Successful).toHaveLength(2);
    expect(deleted.Failed ?? []).toEqual([]);
  });

  it("delays per message and per queue on standard queues", async () => {
    const { client, url } = await setup({ DelaySeconds: "1" });
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "queue-delay" }));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "no-delay", DelaySeconds: 0 }));
    const attributes = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessages"] }),
    );
    expect(attributes.Attributes).toMatchObject({ ApproximateNumberOfMessagesDelayed: "1", ApproximateNumberOfMessages: "1" });
    const first = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(first.Messages?.map((m) => m.Body)).toEqual(["no-delay"]);
    const later = await client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
    expect(later.Messages?.map((m) => m.Body)).toEqual(["queue-delay"]);
  });

  it("wakes a long poll as soon as a message is sent", async () => {
    const { client, url } = await setup();
    const poll = client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 20 }));
    // Sent while the poll waits; the poll must return it (the test would time out at 20 s otherwise).
    await new Promise((resolve) => setImmediate(resolve));
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "wake" }));
    const got = await poll;
    expect(got.Messages?.[0]?.Body).toBe("wake");
  });

  it("aborting an in-process long poll resolves it promptly with no messages", async () => {
    const { cloud, url } = await setup();
    const controller = new AbortController();
    const poll = cloud.services.sqs.api.receiveMessage({ QueueUrl: url, WaitTimeSeconds: 20, MaxNumberOfMessages: 10 }, controller.signal);
    controller.abort();
    expect(await poll).toEqual({});
  });

  it("redrives to the dead-letter queue after maxReceiveCount, keeping the message id", async () => {
    const { client, url: dlqUrl } = await setup({}, "dlq");
    const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    const { QueueUrl: source } = await client.send(
      new CreateQueueCommand({ QueueName: "source", Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) } }),
    );
    const sent = await client.send(
      new SendMessageCommand({ QueueUrl: source, MessageBody: "poison", MessageAttributes: { k: { DataType: "String", StringValue: "v" } } }),
    );
    for (let i = 1; i <= 2; i++) {
      const got = await client.send(
        new ReceiveMessageCommand({ QueueUrl: source, VisibilityTimeout: 0, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }),
      );
      expect(got.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe(String(i));
    }
    // The third receive would exceed maxReceiveCount: the message moves instead of being delivered.
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: source }))).Messages).toBeUndefined();
    const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] }));
    expect(dead.Messages?.[0]).toMatchObject({ MessageId: sent.MessageId, Body: "poison" });
    expect(dead.Messages?.[0]?.MessageAttributes?.k?.StringValue).toBe("v");
    expect(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toMatch(/:source$/);
  });
});
