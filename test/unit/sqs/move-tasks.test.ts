// The mover of message move tasks against the real SQS service on an in-memory database, with an
// injected clock and the mover's timer in the test's hands: each step runs when the test says.
import { afterEach, describe, expect, it } from "vitest";
import { closeSqsInMemory, sqsInMemory } from "../../helpers/sqs-in-memory.js";
import { isAwsServiceError } from "../../../src/local/aws-error.js";

afterEach(closeSqsInMemory);

/** A mover timer that never fires by itself: the test calls runDue(). */
const manualTimer = { set: () => 1, clear: () => {} };

function harness() {
  const sqs = sqsInMemory({ moveTaskTimer: manualTimer });
  return {
    get service() {
      return sqs.service;
    },
    get now() {
      return sqs.now;
    },
    advance: (ms: number) => sqs.advance(ms),
    step: () => sqs.service.moveTasks.runDue(),
    /** Closes the service without committing anything more (as kill -9 would) and opens a new one on the same database. */
    restart: () => sqs.reopen(),
  };
}

type Harness = ReturnType<typeof harness>;

/** A source queue whose DLQ holds `bodies` (dead-lettered through receives, as in real life). */
async function deadLettered(h: Harness, bodies: { body: string; group?: string }[], options: { fifo?: boolean } = {}) {
  const fifo = options.fifo ?? false;
  const suffix = fifo ? ".fifo" : "";
  const base = fifo ? { FifoQueue: "true" } : {};
  const { QueueUrl: dlq } = await h.service.createQueue({ QueueName: `dlq${suffix}`, Attributes: base });
  const dlqArn = `arn:aws:sqs:us-east-1:000000000000:dlq${suffix}`;
  const { QueueUrl: source } = await h.service.createQueue({
    QueueName: `source${suffix}`,
    Attributes: { ...base, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
  });
  for (const [i, { body, group }] of bodies.entries()) {
    await h.service.sendMessage({
      QueueUrl: source,
      MessageBody: body,
      ...(fifo ? { MessageGroupId: group ?? "g", MessageDeduplicationId: `d${i}` } : {}),
    });
  }
  // Received once each (maxReceiveCount 1), then the next receives move them to the DLQ.
  for (let round = 0; round < bodies.length + 1; round++) await h.service.receiveMessage({ QueueUrl: source, MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
  await h.service.receiveMessage({ QueueUrl: source, MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
  const depth = await h.service.getQueueAttributes({ QueueUrl: dlq, AttributeNames: ["ApproximateNumberOfMessages"] });
  expect(depth.Attributes?.ApproximateNumberOfMessages).toBe(String(bodies.length));
  return { dlq: dlq as string, source: source as string, dlqArn, sourceArn: `arn:aws:sqs:us-east-1:000000000000:source${suffix}` };
}

async function bodies(h: Harness, url: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const got = await h.service.receiveMessage({ QueueUrl: url, MaxNumberOfMessages: 10 });
    if (!got.Messages) return out;
    for (const m of got.Messages) {
      out.push(m.Body as string);
      await h.service.deleteMessage({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle });
    }
  }
}

async function latest(h: Harness, sourceArn: string) {
  return (await h.service.listMessageMoveTasks({ SourceArn: sourceArn })).Results?.[0];
}

async function awsError(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (isAwsServiceError(error)) return { code: error.code, status: error.status, message: error.message };
    throw error;
  }
  throw new Error("expected an AWS error");
}

describe("message move tasks: the rate limit (injected clock)", () => {
  it("moves its rate per second in 100 ms slots, and makes up no missed slot", async () => {
    const h = harness();
    const { dlq, dlqArn } = await deadLettered(
      h,
      Array.from({ length: 30 }, (_, i) => ({ body: `m${i}` })),
    );
    await h.service.startMessageMoveTask({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 20 });
    const moved = async () => (await latest(h, dlqArn))?.ApproximateNumberOfMessagesMoved;
    await h.step();
    expect(await moved()).toBe(2);
    await h.step(); // same slot: nothing more
    expect(await moved()).toBe(2);
    for (let slot = 1; slot < 10; slot++) {
      h.advance(100);
      await h.step();
    }
    // One second of slots: exactly the rate.
    expect(await moved()).toBe(20);
    // Five slots pass unused; the next step moves one slot's share, not six.
    h.advance(600);
    await h.step();
    expect(await moved()).toBe(22);
    const task = await latest(h, dlqArn);
    expect(task).toMatchObject({ Status: "RUNNING", ApproximateNumberOfMessagesToMove: 30, MaxNumberOfMessagesPerSecond: 20 });
    expect((await h.service.getQueueAttributes({ QueueUrl: dlq, AttributeNames: ["ApproximateNumberOfMessages"] })).Attributes).toEqual({
      ApproximateNumberOfMessages: "8",
    });
    for (let i = 0; i < 4; i++) {
      h.advance(100);
      await h.step();
    }
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 30 });
    expect((await latest(h, dlqArn))?.TaskHandle).toBeUndefined();
  });
});

describe("message move tasks: what a moved message becomes", () => {
  it("goes back to its source as a new message: new id, never received, enqueued now, same body and attributes", async () => {
    const h = harness();
    const { dlq, dlqArn, source, sourceArn } = await deadLettered(h, [{ body: "one" }]);
    const before = (await h.service.receiveMessage({ QueueUrl: dlq, VisibilityTimeout: 0, MessageSystemAttributeNames: ["All"] })).Messages?.[0];
    expect(before?.Attributes?.DeadLetterQueueSourceArn).toBe(sourceArn);
    h.advance(5_000);
    await h.service.startMessageMoveTask({ SourceArn: dlqArn });
    await h.step();
    const after = (await h.service.receiveMessage({ QueueUrl: source, MessageSystemAttributeNames: ["All"] })).Messages?.[0];
    expect(after?.Body).toBe("one");
    expect(after?.MessageId).not.toBe(before?.MessageId);
    expect(after?.Attributes?.ApproximateReceiveCount).toBe("1");
    expect(after?.Attributes?.SentTimestamp).toBe(String(h.now));
    expect(after?.Attributes?.DeadLetterQueueSourceArn).toBeUndefined();
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 1 });
    expect(await latest(h, dlqArn)).not.toHaveProperty("DestinationArn");
  });

  it("FIFO: the DLQ copy's deduplication id is its message id; each group comes back in order", async () => {
    const h = harness();
    const sent = [
      { body: "a1", group: "a" },
      { body: "b1", group: "b" },
      { body: "a2", group: "a" },
      { body: "c1", group: "c" },
      { body: "b2", group: "b" },
      { body: "a3", group: "a" },
    ];
    const { dlq, dlqArn, source } = await deadLettered(h, sent, { fifo: true });
    const peek = await h.service.receiveMessage({ QueueUrl: dlq, MaxNumberOfMessages: 10, VisibilityTimeout: 0, MessageSystemAttributeNames: ["All"] });
    for (const m of peek.Messages ?? []) expect(m.Attributes?.MessageDeduplicationId).toBe(m.MessageId);
    await h.service.startMessageMoveTask({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 10 });
    for (let i = 0; i < 6; i++) {
      await h.step();
      h.advance(100);
    }
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 6 });
    const back = await bodies(h, source);
    for (const group of ["a", "b", "c"]) {
      expect(back.filter((b) => b.startsWith(group))).toEqual(sent.filter((s) => s.group === group).map((s) => s.body));
    }
    expect(back).toHaveLength(6);
  });
});

describe("message move tasks: which messages a task moves", () => {
  it("leaves messages that reached the DLQ after the start for the next task", async () => {
    const h = harness();
    const { dlq, dlqArn, source } = await deadLettered(h, [{ body: "early" }]);
    await h.service.startMessageMoveTask({ SourceArn: dlqArn });
    // A late arrival: sent straight to the DLQ after the task started.
    await h.service.sendMessage({ QueueUrl: dlq, MessageBody: "late" });
    await h.step();
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 1 });
    expect(await bodies(h, source)).toEqual(["early"]);
    expect(await bodies(h, dlq)).toEqual(["late"]);
  });

  it("waits for a message in flight in the DLQ and moves it once it is visible again", async () => {
    const h = harness();
    const { dlq, dlqArn, source } = await deadLettered(h, [{ body: "x" }, { body: "y" }]);
    const held = await h.service.receiveMessage({ QueueUrl: dlq, VisibilityTimeout: 30 });
    expect(held.Messages?.[0]?.Body).toBe("x");
    await h.service.startMessageMoveTask({ SourceArn: dlqArn });
    await h.step();
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "RUNNING", ApproximateNumberOfMessagesMoved: 1 });
    h.advance(30_000);
    await h.step();
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 2 });
    expect((await bodies(h, source)).sort()).toEqual(["x", "y"]);
  });

  it("with a DestinationArn, moves there instead", async () => {
    const h = harness();
    const { dlqArn } = await deadLettered(h, [{ body: "x" }]);
    const { QueueUrl: other } = await h.service.createQueue({ QueueName: "other" });
    const otherArn = "arn:aws:sqs:us-east-1:000000000000:other";
    await h.service.startMessageMoveTask({ SourceArn: dlqArn, DestinationArn: otherArn });
    await h.step();
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "COMPLETED", DestinationArn: otherArn });
    expect(await bodies(h, other as string)).toEqual(["x"]);
  });
});

describe("message move tasks: status transitions and errors", () => {
  it("RUNNING → CANCELLING → CANCELLED; messages moved stay moved, the rest stay in the DLQ", async () => {
    const h = harness();
    const { dlq, dlqArn, source } = await deadLettered(
      h,
      Array.from({ length: 5 }, (_, i) => ({ body: `m${i}` })),
    );
    const { TaskHandle } = await h.service.startMessageMoveTask({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 10 });
    await h.step();
    expect(await h.service.cancelMessageMoveTask({ TaskHandle })).toEqual({ ApproximateNumberOfMessagesMoved: 1 });
    expect((await latest(h, dlqArn))?.Status).toBe("CANCELLING");
    h.advance(100);
    await h.step();
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "CANCELLED", ApproximateNumberOfMessagesMoved: 1 });
    expect(await bodies(h, source)).toEqual(["m0"]);
    expect(await bodies(h, dlq)).toEqual(["m1", "m2", "m3", "m4"]);
    // Only a RUNNING task can be cancelled.
    expect(await awsError(h.service.cancelMessageMoveTask({ TaskHandle }))).toMatchObject({ code: "UnsupportedOperation", status: 400 });
  });

  it("allows one active task per source, and a new one once it is done; lists the most recent first", async () => {
    const h = harness();
    const { dlqArn } = await deadLettered(h, [{ body: "x" }, { body: "y" }]);
    await h.service.startMessageMoveTask({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 1 });
    expect(await awsError(h.service.startMessageMoveTask({ SourceArn: dlqArn }))).toEqual({
      code: "InvalidParameterValue",
      status: 400,
      message: "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
    });
    await h.step();
    h.advance(1_000);
    await h.step();
    h.advance(1_000);
    await h.service.startMessageMoveTask({ SourceArn: dlqArn });
    const all = (await h.service.listMessageMoveTasks({ SourceArn: dlqArn, MaxResults: 10 })).Results ?? [];
    expect(all.map((t) => t.Status)).toEqual(["RUNNING", "COMPLETED"]);
    expect((await h.service.listMessageMoveTasks({ SourceArn: dlqArn })).Results).toHaveLength(1);
  });

  it("fails with AWS's reason when the destination queue is deleted while it runs", async () => {
    const h = harness();
    const { dlqArn, source } = await deadLettered(h, [{ body: "x" }, { body: "y" }]);
    await h.service.startMessageMoveTask({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 1 });
    await h.step();
    await h.service.deleteQueue({ QueueUrl: source });
    h.advance(1_000);
    await h.step();
    expect(await latest(h, dlqArn)).toMatchObject({
      Status: "FAILED",
      FailureReason: "AWS.SimpleQueueService.NonExistentQueue",
      ApproximateNumberOfMessagesMoved: 1,
    });
  });

  it("fails a task still running after 36 hours", async () => {
    const h = harness();
    const { dlq, dlqArn } = await deadLettered(h, [{ body: "x" }]);
    // The only message is held in flight for 12 h at a time, so the task cannot finish.
    await h.service.receiveMessage({ QueueUrl: dlq, VisibilityTimeout: 43_200 });
    await h.service.startMessageMoveTask({ SourceArn: dlqArn });
    await h.step();
    expect((await latest(h, dlqArn))?.Status).toBe("RUNNING");
    h.advance(36 * 3_600_000);
    await h.step();
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "FAILED" });
    expect((await latest(h, dlqArn))?.FailureReason).toMatch(/36 hours/);
  });

  it("answers AWS's errors for bad input", async () => {
    const h = harness();
    const { dlqArn, sourceArn } = await deadLettered(h, [{ body: "x" }]);
    await h.service.createQueue({ QueueName: "f.fifo", Attributes: { FifoQueue: "true" } });
    const cases: [Promise<unknown>, string, number, string | RegExp][] = [
      [h.service.startMessageMoveTask({ SourceArn: sourceArn }), "InvalidParameterValue", 400, "Source queue must be configured as a Dead Letter Queue."],
      [
        h.service.startMessageMoveTask({ SourceArn: "arn:aws:sqs:us-east-1:000000000000:nope" }),
        "ResourceNotFoundException",
        404,
        "The resource that you specified for the SourceArn parameter doesn't exist.",
      ],
      [
        h.service.startMessageMoveTask({ SourceArn: dlqArn, DestinationArn: `${sourceArn}doesntexist` }),
        "ResourceNotFoundException",
        404,
        "The resource that you specified for the DestinationArn parameter doesn't exist.",
      ],
      [h.service.startMessageMoveTask({ SourceArn: "invalid" }), "InvalidParameterValue", 400, /arn:<partition>:<service>:<region>:<account-id>:<resource-id>/],
      [h.service.startMessageMoveTask({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 501 }), "InvalidParameterValue", 400, /MaxNumberOfMessagesPerSecond/],
      [h.service.startMessageMoveTask({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 0 }), "InvalidParameterValue", 400, /between 1 and 500/],
      [
        h.service.startMessageMoveTask({ SourceArn: dlqArn, DestinationArn: "arn:aws:sqs:us-east-1:000000000000:f.fifo" }),
        "InvalidParameterValue",
        400,
        /same queue type/,
      ],
      [h.service.startMessageMoveTask({ SourceArn: undefined }), "MissingParameter", 400, /SourceArn/],
      [h.service.listMessageMoveTasks({ SourceArn: dlqArn, MaxResults: 11 }), "InvalidParameterValue", 400, /MaxResults/],
      [h.service.cancelMessageMoveTask({ TaskHandle: "foobared" }), "InvalidParameterValue", 400, "Value for parameter TaskHandle is invalid."],
      [
        h.service.cancelMessageMoveTask({
          TaskHandle: Buffer.from(JSON.stringify({ taskId: "10f57157-fc38-4da9-a113-4de7e12d05aa", sourceArn: dlqArn })).toString("base64"),
        }),
        "ResourceNotFoundException",
        404,
        "Task does not exist.",
      ],
    ];
    for (const [promise, code, status, message] of cases) {
      const error = await awsError(promise);
      expect({ code: error.code, status: error.status }).toEqual({ code, status });
      if (typeof message === "string") expect(error.message).toBe(message);
      else expect(error.message).toMatch(message);
    }
  });
});

describe("message move tasks: durability", () => {
  it("a running task resumes after a crash with its progress; nothing is lost or moved twice", async () => {
    const h = harness();
    const { dlq, dlqArn, source } = await deadLettered(
      h,
      Array.from({ length: 6 }, (_, i) => ({ body: `m${i}` })),
    );
    await h.service.startMessageMoveTask({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 20 });
    await h.step();
    expect((await latest(h, dlqArn))?.ApproximateNumberOfMessagesMoved).toBe(2);
    h.restart();
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "RUNNING", ApproximateNumberOfMessagesMoved: 2 });
    for (let i = 0; i < 3; i++) {
      await h.step();
      h.advance(100);
    }
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 6 });
    expect((await bodies(h, source)).sort()).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);
    expect(await bodies(h, dlq)).toEqual([]);
  });

  it("a task being cancelled when the local cloud stopped ends CANCELLED after the restart", async () => {
    const h = harness();
    const { dlqArn } = await deadLettered(h, [{ body: "x" }, { body: "y" }]);
    const { TaskHandle } = await h.service.startMessageMoveTask({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: 1 });
    await h.service.cancelMessageMoveTask({ TaskHandle });
    h.restart();
    await h.step();
    expect(await latest(h, dlqArn)).toMatchObject({ Status: "CANCELLED", ApproximateNumberOfMessagesMoved: 0 });
  });
});
