// Time rules of the SQS service with an injected clock: no waiting, no HTTP.
import { afterEach, describe, expect, it } from "vitest";
import { closeSqsInMemory, sqsInMemory } from "../../helpers/sqs-in-memory.js";

afterEach(closeSqsInMemory);

function harness() {
  const sqs = sqsInMemory();
  return { service: sqs.service, advance: sqs.advance };
}

describe("SQS time rules (injected clock)", () => {
  it("makes a received message visible again exactly when its visibility timeout ends", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q", Attributes: { VisibilityTimeout: "30" } });
    await service.sendMessage({ QueueUrl, MessageBody: "m" });
    expect((await service.receiveMessage({ QueueUrl })).Messages).toHaveLength(1);
    advance(29_999);
    expect((await service.receiveMessage({ QueueUrl })).Messages).toBeUndefined();
    advance(1);
    const again = await service.receiveMessage({ QueueUrl, MessageSystemAttributeNames: ["ApproximateReceiveCount"] });
    expect(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe("2");
  });

  it("holds delayed messages until their delay passes and counts them as delayed", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q" });
    await service.sendMessage({ QueueUrl, MessageBody: "later", DelaySeconds: 10 });
    expect((await service.getQueueAttributes({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessagesDelayed"] })).Attributes).toEqual({
      ApproximateNumberOfMessagesDelayed: "1",
    });
    advance(9_999);
    expect((await service.receiveMessage({ QueueUrl })).Messages).toBeUndefined();
    advance(1);
    expect((await service.receiveMessage({ QueueUrl })).Messages?.[0]?.Body).toBe("later");
  });

  it("drops messages after MessageRetentionPeriod", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q.fifo", Attributes: { FifoQueue: "true", MessageRetentionPeriod: "60" } });
    await service.sendMessage({ QueueUrl, MessageBody: "old", MessageGroupId: "g", MessageDeduplicationId: "1" });
    advance(30_000);
    await service.sendMessage({ QueueUrl, MessageBody: "new", MessageGroupId: "g", MessageDeduplicationId: "2" });
    advance(30_000);
    expect((await service.getQueueAttributes({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] })).Attributes?.ApproximateNumberOfMessages).toBe("1");
    expect((await service.receiveMessage({ QueueUrl, MaxNumberOfMessages: 10 })).Messages?.map((m) => m.Body)).toEqual(["new"]);
  });

  it("forgets a deduplication id after 5 minutes, not before", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q.fifo", Attributes: { FifoQueue: "true" } });
    const first = await service.sendMessage({ QueueUrl, MessageBody: "a", MessageGroupId: "g", MessageDeduplicationId: "id" });
    advance(5 * 60_000 - 1);
    expect((await service.sendMessage({ QueueUrl, MessageBody: "a", MessageGroupId: "g", MessageDeduplicationId: "id" })).MessageId).toBe(first.MessageId);
    advance(1);
    expect((await service.sendMessage({ QueueUrl, MessageBody: "a", MessageGroupId: "g", MessageDeduplicationId: "id" })).MessageId).not.toBe(first.MessageId);
  });

  it("refuses to reuse a deleted queue's name for 60 seconds", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q" });
    await service.deleteQueue({ QueueUrl });
    advance(59_999);
    await expect(service.createQueue({ QueueName: "q" })).rejects.toMatchObject({ code: "QueueDeletedRecently" });
    advance(1);
    await expect(service.createQueue({ QueueName: "q" })).resolves.toEqual({ QueueUrl });
  });

  it("allows one purge per 60 seconds", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q" });
    await service.purgeQueue({ QueueUrl });
    advance(59_999);
    await expect(service.purgeQueue({ QueueUrl })).rejects.toMatchObject({ code: "PurgeQueueInProgress", status: 403 });
    advance(1);
    await expect(service.purgeQueue({ QueueUrl })).resolves.toBeUndefined();
  });

  it("caps a receive's total visibility at 12 hours", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q" });
    await service.sendMessage({ QueueUrl, MessageBody: "m" });
    const handle = (await service.receiveMessage({ QueueUrl, VisibilityTimeout: 43_200 })).Messages![0]!.ReceiptHandle!;
    advance(3_600_000);
    await expect(service.changeMessageVisibility({ QueueUrl, ReceiptHandle: handle, VisibilityTimeout: 39_600 })).resolves.toBeUndefined();
    await expect(service.changeMessageVisibility({ QueueUrl, ReceiptHandle: handle, VisibilityTimeout: 39_601 })).rejects.toMatchObject({
      code: "InvalidParameterValue",
    });
  });

  it("honours a ReceiveRequestAttemptId for 5 minutes, and not once a message changed", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q.fifo", Attributes: { FifoQueue: "true", VisibilityTimeout: "600" } });
    await service.sendMessage({ QueueUrl, MessageBody: "a", MessageGroupId: "g", MessageDeduplicationId: "a" });
    const first = await service.receiveMessage({ QueueUrl, ReceiveRequestAttemptId: "x" });
    advance(4 * 60_000);
    const retry = await service.receiveMessage({ QueueUrl, ReceiveRequestAttemptId: "x" });
    expect(retry.Messages?.[0]?.ReceiptHandle).toBe(first.Messages?.[0]?.ReceiptHandle);
    advance(60_000);
    // Window over, message still in flight (the retry restarted its visibility): nothing.
    expect((await service.receiveMessage({ QueueUrl, ReceiveRequestAttemptId: "x" })).Messages).toBeUndefined();
  });

  it("keeps a FIFO group blocked while any of its messages is in flight, whatever the clock says about others", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q.fifo", Attributes: { FifoQueue: "true" } });
    for (const id of ["1", "2", "3"]) await service.sendMessage({ QueueUrl, MessageBody: id, MessageGroupId: "g", MessageDeduplicationId: id });
    const got = await service.receiveMessage({ QueueUrl, MaxNumberOfMessages: 2, VisibilityTimeout: 10 });
    expect(got.Messages?.map((m) => m.Body)).toEqual(["1", "2"]);
    await service.changeMessageVisibility({ QueueUrl, ReceiptHandle: got.Messages![0]!.ReceiptHandle, VisibilityTimeout: 60 });
    advance(10_000);
    // "2" is visible again but "1" is still in flight: nothing of the group may be delivered.
    expect((await service.receiveMessage({ QueueUrl, MaxNumberOfMessages: 10 })).Messages).toBeUndefined();
    advance(50_000);
    expect((await service.receiveMessage({ QueueUrl, MaxNumberOfMessages: 10 })).Messages?.map((m) => m.Body)).toEqual(["1", "2", "3"]);
  });

  it("hands messages back when the receive was aborted while it committed", async () => {
    const { service } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q" });
    await service.sendMessage({ QueueUrl, MessageBody: "m" });
    const controller = new AbortController();
    const receiving = service.receiveMessage({ QueueUrl, WaitTimeSeconds: 20 }, controller.signal);
    controller.abort();
    expect(await receiving).toEqual({});
    const again = await service.receiveMessage({ QueueUrl, MessageSystemAttributeNames: ["ApproximateReceiveCount"] });
    expect(again.Messages?.[0]?.Body).toBe("m");
  });
});
