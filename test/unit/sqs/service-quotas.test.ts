// The FIFO throughput quotas where calls enter the SQS service, with an injected clock that does
// not move unless the test moves it: exact counts, no HTTP, no waiting.
import { afterEach, describe, expect, it } from "vitest";
import { isAwsServiceError } from "../../../src/local/aws-error.js";
import type { SqsService, SqsServiceOptions } from "../../../src/local/sqs/service.js";
import { closeSqsInMemory, sqsInMemory } from "../../helpers/sqs-in-memory.js";

afterEach(closeSqsInMemory);

function harness(options: SqsServiceOptions = {}) {
  const sqs = sqsInMemory(options);
  return { service: sqs.service, advance: sqs.advance };
}

const HIGH_THROUGHPUT = { DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" };

/** Runs the calls concurrently; returns how many succeeded and the errors of the others. */
async function fire(calls: (() => Promise<unknown>)[]): Promise<{ ok: number; errors: unknown[] }> {
  const settled = await Promise.allSettled(calls.map((call) => call()));
  const errors = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected").map((s) => s.reason as unknown);
  return { ok: settled.length - errors.length, errors };
}

async function depth(service: SqsService, QueueUrl: string): Promise<number> {
  const { Attributes } = await service.getQueueAttributes({
    QueueUrl,
    AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
  });
  return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
}

describe("SQS FIFO throughput quotas in the service (injected clock)", () => {
  it("refuses the 301st SendMessage in one instant with RequestThrottled, enqueuing nothing for it", async () => {
    const { service } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q.fifo", Attributes: { FifoQueue: "true" } });
    const sends = Array.from(
      { length: 350 },
      (_, i) => () => service.sendMessage({ QueueUrl, MessageBody: `m${i}`, MessageGroupId: "g", MessageDeduplicationId: `d${i}` }),
    );
    const { ok, errors } = await fire(sends);
    expect(ok).toBe(300);
    expect(errors).toHaveLength(50);
    for (const error of errors) {
      expect(isAwsServiceError(error)).toBe(true);
      expect(error).toMatchObject({ code: "RequestThrottled", status: 403, fault: "Sender", queryCode: "RequestThrottled" });
    }
    expect((errors[0] as Error).message).toMatch(/FIFO queue q\.fifo takes at most 300 SendMessage transactions per second/);
    expect(await depth(service, QueueUrl!)).toBe(300);
  });

  it("does not let a throttled send take up its deduplication id", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q.fifo", Attributes: { FifoQueue: "true" } });
    for (let i = 0; i < 300; i++) await service.sendMessage({ QueueUrl, MessageBody: "x", MessageGroupId: "g", MessageDeduplicationId: `d${i}` });
    await expect(service.sendMessage({ QueueUrl, MessageBody: "late", MessageGroupId: "g", MessageDeduplicationId: "late" })).rejects.toMatchObject({
      code: "RequestThrottled",
    });
    advance(1000);
    await service.sendMessage({ QueueUrl, MessageBody: "late", MessageGroupId: "g", MessageDeduplicationId: "late" });
    expect(await depth(service, QueueUrl!)).toBe(301);
  });

  it("counts a SendMessageBatch of ten as one transaction of the SendMessage action", async () => {
    const { service } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q.fifo", Attributes: { FifoQueue: "true" } });
    const batch = (n: number) => () =>
      service.sendMessageBatch({
        QueueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: "b", MessageGroupId: `g${i}`, MessageDeduplicationId: `${n}-${i}` })),
      });
    const { ok } = await fire(Array.from({ length: 299 }, (_, n) => batch(n)));
    expect(ok).toBe(299);
    await service.sendMessage({ QueueUrl, MessageBody: "single", MessageGroupId: "g", MessageDeduplicationId: "single" });
    await expect(batch(999)()).rejects.toMatchObject({ code: "RequestThrottled" });
    expect(await depth(service, QueueUrl!)).toBe(2991);
  });

  it("throttles receives and deletes on their own buckets; a throttled receive takes nothing", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q.fifo", Attributes: { FifoQueue: "true" } });
    for (let i = 0; i < 20; i++) await service.sendMessage({ QueueUrl, MessageBody: `m${i}`, MessageGroupId: `g${i}`, MessageDeduplicationId: `d${i}` });
    advance(1000);
    const receives = await fire(Array.from({ length: 300 }, () => () => service.receiveMessage({ QueueUrl })));
    expect(receives.ok).toBe(300);
    await expect(service.receiveMessage({ QueueUrl })).rejects.toMatchObject({ code: "RequestThrottled" });
    // The 300 receives took all 20 messages; the throttled one received (and hid) nothing more.
    advance(1000);
    const { Messages = [] } = await service.receiveMessage({ QueueUrl, MaxNumberOfMessages: 10 });
    expect(Messages).toHaveLength(0);
    advance(30_000);
    const again = await service.receiveMessage({ QueueUrl, MaxNumberOfMessages: 10 });
    expect(again.Messages).toHaveLength(10);
    const handles = again.Messages!.map((m) => m.ReceiptHandle!);
    for (let i = 0; i < 299; i++) await service.changeMessageVisibility({ QueueUrl, ReceiptHandle: handles[0], VisibilityTimeout: 60 });
    await service.changeMessageVisibilityBatch({ QueueUrl, Entries: [{ Id: "a", ReceiptHandle: handles[1], VisibilityTimeout: 60 }] });
    await expect(service.changeMessageVisibility({ QueueUrl, ReceiptHandle: handles[2], VisibilityTimeout: 60 })).rejects.toMatchObject({
      code: "RequestThrottled",
    });
    // Deleting is its own action: its bucket is still full.
    await service.deleteMessageBatch({ QueueUrl, Entries: handles.map((ReceiptHandle, i) => ({ Id: `e${i}`, ReceiptHandle })) });
    expect(await depth(service, QueueUrl!)).toBe(10);
  });

  it("leaves a throttled delete's message in flight; refused calls that were invalid anyway cost nothing", async () => {
    const { service, advance } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q.fifo", Attributes: { FifoQueue: "true" } });
    await service.sendMessage({ QueueUrl, MessageBody: "keep", MessageGroupId: "g", MessageDeduplicationId: "keep" });
    await service.sendMessage({ QueueUrl, MessageBody: "other", MessageGroupId: "h", MessageDeduplicationId: "other" });
    const messages = (await service.receiveMessage({ QueueUrl, MaxNumberOfMessages: 10 })).Messages ?? [];
    const handleOf = (body: string) => messages.find((m) => m.Body === body)!.ReceiptHandle!;
    // Malformed handles are refused before the quota is charged.
    const malformed = await fire(Array.from({ length: 400 }, () => () => service.deleteMessage({ QueueUrl, ReceiptHandle: "bm9wZQ==" })));
    expect(malformed.errors.map((e) => (e as { code?: string }).code)).toEqual(Array(400).fill("ReceiptHandleIsInvalid"));
    // 300 deletes (the first deletes "other", the rest find it gone) use up the second.
    for (let i = 0; i < 300; i++) await service.deleteMessage({ QueueUrl, ReceiptHandle: handleOf("other") });
    await expect(service.deleteMessage({ QueueUrl, ReceiptHandle: handleOf("keep") })).rejects.toMatchObject({ code: "RequestThrottled" });
    expect(await depth(service, QueueUrl!)).toBe(1);
    advance(1000);
    await service.deleteMessage({ QueueUrl, ReceiptHandle: handleOf("keep") });
    expect(await depth(service, QueueUrl!)).toBe(0);
  });

  it("never throttles a standard queue", async () => {
    const { service } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "plain" });
    const { ok } = await fire(Array.from({ length: 1000 }, (_, i) => () => service.sendMessage({ QueueUrl, MessageBody: `m${i}` })));
    expect(ok).toBe(1000);
    const receives = await fire(Array.from({ length: 500 }, () => () => service.receiveMessage({ QueueUrl })));
    expect(receives.ok).toBe(500);
  });

  it("in high-throughput mode takes the same burst spread over groups, and throttles a hot group alone", async () => {
    const { service } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "ht.fifo", Attributes: { FifoQueue: "true", ...HIGH_THROUGHPUT } });
    const spread = await fire(
      Array.from(
        { length: 1200 },
        (_, i) => () => service.sendMessage({ QueueUrl, MessageBody: "s", MessageGroupId: `g${i % 4}`, MessageDeduplicationId: `s${i}` }),
      ),
    );
    expect(spread.ok).toBe(1200);
    await expect(service.sendMessage({ QueueUrl, MessageBody: "hot", MessageGroupId: "g0", MessageDeduplicationId: "hot" })).rejects.toMatchObject({
      code: "RequestThrottled",
      message: expect.stringMatching(/message group g0 of the high-throughput FIFO queue ht\.fifo takes at most 300 SendMessage/),
    });
    await service.sendMessage({ QueueUrl, MessageBody: "cool", MessageGroupId: "g4", MessageDeduplicationId: "cool" });
  });

  it("in high-throughput mode charges a delete to the group of the message its receipt handle names", async () => {
    const { service } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "ht.fifo", Attributes: { FifoQueue: "true", ...HIGH_THROUGHPUT } });
    await service.sendMessage({ QueueUrl, MessageBody: "a", MessageGroupId: "a", MessageDeduplicationId: "a" });
    await service.sendMessage({ QueueUrl, MessageBody: "b", MessageGroupId: "b", MessageDeduplicationId: "b" });
    const messages = (await service.receiveMessage({ QueueUrl, MaxNumberOfMessages: 10 })).Messages ?? [];
    const handleOf = (group: string) => messages.find((m) => m.Body === group)!.ReceiptHandle!;
    // 300 visibility changes of group a's message exhaust group a's ChangeMessageVisibility bucket only.
    for (let i = 0; i < 300; i++) await service.changeMessageVisibility({ QueueUrl, ReceiptHandle: handleOf("a"), VisibilityTimeout: 30 });
    await expect(service.changeMessageVisibility({ QueueUrl, ReceiptHandle: handleOf("a"), VisibilityTimeout: 30 })).rejects.toMatchObject({
      code: "RequestThrottled",
    });
    await service.changeMessageVisibility({ QueueUrl, ReceiptHandle: handleOf("b"), VisibilityTimeout: 30 });
    // A batch touching a and b is refused as a whole.
    await expect(
      service.changeMessageVisibilityBatch({
        QueueUrl,
        Entries: [
          { Id: "a", ReceiptHandle: handleOf("a"), VisibilityTimeout: 30 },
          { Id: "b", ReceiptHandle: handleOf("b"), VisibilityTimeout: 30 },
        ],
      }),
    ).rejects.toMatchObject({ code: "RequestThrottled" });
    await service.deleteMessageBatch({ QueueUrl, Entries: [{ Id: "a", ReceiptHandle: handleOf("a") }] });
    expect(await depth(service, QueueUrl!)).toBe(1);
  });

  it("switches between a queue-wide and a per-group quota when SetQueueAttributes changes the mode", async () => {
    const { service } = harness();
    const { QueueUrl } = await service.createQueue({ QueueName: "q.fifo", Attributes: { FifoQueue: "true" } });
    const send = (group: string, id: string) => service.sendMessage({ QueueUrl, MessageBody: id, MessageGroupId: group, MessageDeduplicationId: id });
    for (let i = 0; i < 300; i++) await send(`g${i}`, `a${i}`);
    await expect(send("new", "a-over")).rejects.toMatchObject({ code: "RequestThrottled" });
    await service.setQueueAttributes({ QueueUrl, Attributes: HIGH_THROUGHPUT });
    for (let i = 0; i < 300; i++) await send("x", `b${i}`);
    await send("y", "b-y");
    await expect(send("x", "b-over")).rejects.toMatchObject({ code: "RequestThrottled", message: expect.stringMatching(/message group x/) });
    // Back to normal throughput (either setting suffices): the queue's own bucket, still empty, applies again.
    await service.setQueueAttributes({ QueueUrl, Attributes: { FifoThroughputLimit: "perQueue" } });
    await expect(send("z", "c-over")).rejects.toMatchObject({
      code: "RequestThrottled",
      message: expect.stringMatching(/FIFO queue q\.fifo takes at most 300/),
    });
  });

  it("enforces nothing when quotas are off", async () => {
    const { service } = harness({ quotas: false });
    expect(service.quotasEnforced).toBe(false);
    const { QueueUrl } = await service.createQueue({ QueueName: "q.fifo", Attributes: { FifoQueue: "true" } });
    const { ok } = await fire(
      Array.from({ length: 1000 }, (_, i) => () => service.sendMessage({ QueueUrl, MessageBody: "m", MessageGroupId: "g", MessageDeduplicationId: `d${i}` })),
    );
    expect(ok).toBe(1000);
  });
});
