import { describe, expect, it } from "vitest";
import {
  CancelMessageMoveTaskCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type Message,
} from "@aws-sdk/client-sqs";
import { eventually } from "../../helpers/eventually.js";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";

// Message move tasks (DLQ redrive) through @aws-sdk/client-sqs (JSON 1.0) against a real local
// cloud, and one Query-protocol round trip as older clients send it.

interface Pipe {
  client: SQSClient;
  url: string;
  source: string;
  dlq: string;
  sourceArn: string;
  dlqArn: string;
}

async function arnOf(client: SQSClient, url: string): Promise<string> {
  return (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes?.QueueArn as string;
}

/** A source queue with a DLQ (maxReceiveCount 1); `fifo` for the pattern's kind of queues. */
async function pipe(fifo: boolean): Promise<Pipe> {
  const cloud = await useTestCloud();
  const client = new SQSClient(sdkConfig(cloud));
  const suffix = fifo ? ".fifo" : "";
  const kind = fifo ? { FifoQueue: "true" } : {};
  const { QueueUrl: dlq } = await client.send(new CreateQueueCommand({ QueueName: `dead${suffix}`, Attributes: kind }));
  const dlqArn = await arnOf(client, dlq as string);
  const { QueueUrl: source } = await client.send(
    new CreateQueueCommand({
      QueueName: `work${suffix}`,
      Attributes: { ...kind, RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
    }),
  );
  return { client, url: cloud.url, source: source as string, dlq: dlq as string, sourceArn: await arnOf(client, source as string), dlqArn };
}

/** Sends the messages and dead-letters all of them: received once each, then moved by the next receives. */
async function fillDeadLetters(p: Pipe, messages: { body: string; group?: string }[]): Promise<void> {
  const fifo = p.source.endsWith(".fifo");
  for (let i = 0; i < messages.length; i += 10) {
    await p.client.send(
      new SendMessageBatchCommand({
        QueueUrl: p.source,
        Entries: messages.slice(i, i + 10).map((m, k) => ({
          Id: `e${k}`,
          MessageBody: m.body,
          ...(fifo ? { MessageGroupId: m.group ?? "g", MessageDeduplicationId: `${i + k}` } : {}),
        })),
      }),
    );
  }
  await eventually(async () => {
    await p.client.send(new ReceiveMessageCommand({ QueueUrl: p.source, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    return (await depth(p.client, p.dlq)) === messages.length;
  }, "every message to reach the DLQ");
}

async function depth(client: SQSClient, url: string): Promise<number> {
  const a = (
    await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
    )
  ).Attributes;
  return Number(a?.ApproximateNumberOfMessages) + Number(a?.ApproximateNumberOfMessagesNotVisible);
}

async function drain(client: SQSClient, url: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] }));
    if (!got.Messages) return out;
    out.push(...got.Messages);
    await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: got.Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }));
  }
}

async function finished(p: Pipe) {
  return eventually(async () => {
    const task = (await p.client.send(new ListMessageMoveTasksCommand({ SourceArn: p.dlqArn }))).Results?.[0];
    return task !== undefined && task.Status !== "RUNNING" && task.Status !== "CANCELLING" ? task : undefined;
  }, "the move task to finish");
}

describe("SQS message move tasks through @aws-sdk/client-sqs", () => {
  it("redrives a standard DLQ back to the source queues, reporting progress as AWS does", async () => {
    const p = await pipe(false);
    await fillDeadLetters(
      p,
      Array.from({ length: 12 }, (_, i) => ({ body: `m${i}` })),
    );
    const { TaskHandle } = await p.client.send(new StartMessageMoveTaskCommand({ SourceArn: p.dlqArn }));
    expect(JSON.parse(Buffer.from(TaskHandle as string, "base64").toString("utf8"))).toEqual({ taskId: expect.any(String), sourceArn: p.dlqArn });
    const task = await finished(p);
    expect(task).toEqual({
      Status: "COMPLETED",
      SourceArn: p.dlqArn,
      ApproximateNumberOfMessagesMoved: 12,
      ApproximateNumberOfMessagesToMove: 12,
      StartedTimestamp: expect.any(Number),
    });
    expect(Math.abs((task.StartedTimestamp as number) - Date.now())).toBeLessThan(60_000);
    const back = await drain(p.client, p.source);
    expect(back.map((m) => m.Body).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
    // New messages: received once now, no trace of the DLQ.
    for (const m of back) {
      expect(m.Attributes?.ApproximateReceiveCount).toBe("1");
      expect(m.Attributes?.DeadLetterQueueSourceArn).toBeUndefined();
    }
    expect(await depth(p.client, p.dlq)).toBe(0);
  });

  it("keeps each FIFO group's order at a custom rate and leaves the DLQ empty", async () => {
    const p = await pipe(true);
    const sent = Array.from({ length: 24 }, (_, i) => ({ body: `${"abc"[i % 3]}${Math.floor(i / 3)}`, group: "abc"[i % 3] as string }));
    await fillDeadLetters(p, sent);
    await p.client.send(new StartMessageMoveTaskCommand({ SourceArn: p.dlqArn, DestinationArn: p.sourceArn, MaxNumberOfMessagesPerSecond: 40 }));
    const task = await finished(p);
    expect(task).toMatchObject({ Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 24, DestinationArn: p.sourceArn, MaxNumberOfMessagesPerSecond: 40 });
    const back = await drain(p.client, p.source);
    for (const group of ["a", "b", "c"]) {
      expect(back.filter((m) => m.Attributes?.MessageGroupId === group).map((m) => m.Body)).toEqual(sent.filter((s) => s.group === group).map((s) => s.body));
    }
    // The destination numbers them in the order they moved: increasing within each group.
    for (const group of ["a", "b", "c"]) {
      const sequence = back.filter((m) => m.Attributes?.MessageGroupId === group).map((m) => BigInt(m.Attributes?.SequenceNumber as string));
      for (let i = 1; i < sequence.length; i++) expect(sequence[i]! > sequence[i - 1]!).toBe(true);
    }
  });

  it("refuses a second task while one runs, cancels a running task, and refuses to cancel it again", async () => {
    const p = await pipe(false);
    await fillDeadLetters(
      p,
      Array.from({ length: 5 }, (_, i) => ({ body: `m${i}` })),
    );
    const { TaskHandle } = await p.client.send(new StartMessageMoveTaskCommand({ SourceArn: p.dlqArn, MaxNumberOfMessagesPerSecond: 1 }));
    const second = await p.client.send(new StartMessageMoveTaskCommand({ SourceArn: p.dlqArn })).catch((e: unknown) => e);
    expect(second).toMatchObject({
      name: "InvalidParameterValue",
      message: "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
      $metadata: { httpStatusCode: 400 },
    });
    const cancelled = await p.client.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBeLessThanOrEqual(1);
    const task = await finished(p);
    expect(task.Status).toBe("CANCELLED");
    expect(task.TaskHandle).toBeUndefined();
    // Whatever was not moved is still in the DLQ: nothing lost, nothing doubled.
    expect((await depth(p.client, p.dlq)) + (await depth(p.client, p.source))).toBe(5);
    const again = await p.client.send(new CancelMessageMoveTaskCommand({ TaskHandle })).catch((e: unknown) => e);
    expect(again).toMatchObject({ name: "UnsupportedOperation", $metadata: { httpStatusCode: 400 } });
  });

  it("names AWS's errors: not a DLQ, unknown queues, bad handles", async () => {
    const p = await pipe(false);
    const failure = (promise: Promise<unknown>) =>
      promise.then(() => undefined).catch((e: unknown) => e as { name: string; message: string; $metadata: object });
    expect(await failure(p.client.send(new StartMessageMoveTaskCommand({ SourceArn: p.sourceArn })))).toMatchObject({
      name: "InvalidParameterValue",
      message: "Source queue must be configured as a Dead Letter Queue.",
    });
    expect(await failure(p.client.send(new StartMessageMoveTaskCommand({ SourceArn: `${p.dlqArn}-nope` })))).toMatchObject({
      name: "ResourceNotFoundException",
      message: "The resource that you specified for the SourceArn parameter doesn't exist.",
      $metadata: { httpStatusCode: 404 },
    });
    expect(await failure(p.client.send(new ListMessageMoveTasksCommand({ SourceArn: `${p.dlqArn}-nope` })))).toMatchObject({
      name: "ResourceNotFoundException",
    });
    expect(await failure(p.client.send(new CancelMessageMoveTaskCommand({ TaskHandle: "foobared" })))).toMatchObject({
      name: "InvalidParameterValue",
      message: "Value for parameter TaskHandle is invalid.",
    });
    // No task yet: an empty list.
    expect((await p.client.send(new ListMessageMoveTasksCommand({ SourceArn: p.dlqArn }))).Results).toEqual([]);
  });

  it("speaks the Query protocol: StartMessageMoveTask and ListMessageMoveTasks as form posts", async () => {
    const p = await pipe(false);
    await fillDeadLetters(p, [{ body: "q1" }, { body: "q2" }]);
    const post = async (form: Record<string, string>) => {
      const response = await fetch(`${p.url}/`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ Version: "2012-11-05", ...form }).toString(),
      });
      return { status: response.status, text: await response.text() };
    };
    const started = await post({ Action: "StartMessageMoveTask", SourceArn: p.dlqArn, MaxNumberOfMessagesPerSecond: "10" });
    expect(started.status).toBe(200);
    expect(started.text).toMatch(
      /<StartMessageMoveTaskResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><StartMessageMoveTaskResult><TaskHandle>[A-Za-z0-9+/=]+<\/TaskHandle>/,
    );
    await finished(p);
    const listed = await post({ Action: "ListMessageMoveTasks", SourceArn: p.dlqArn, MaxResults: "10" });
    expect(listed.status).toBe(200);
    expect(listed.text).toContain("<ListMessageMoveTasksResult><ListMessageMoveTasksResultEntry><Status>COMPLETED</Status>");
    expect(listed.text).toContain("<ApproximateNumberOfMessagesMoved>2</ApproximateNumberOfMessagesMoved>");
    expect(listed.text).toContain("<MaxNumberOfMessagesPerSecond>10</MaxNumberOfMessagesPerSecond>");
    const refused = await post({ Action: "StartMessageMoveTask", SourceArn: p.sourceArn });
    expect(refused.status).toBe(400);
    expect(refused.text).toContain("<Code>InvalidParameterValue</Code><Message>Source queue must be configured as a Dead Letter Queue.</Message>");
    const missing = await post({
      Action: "CancelMessageMoveTask",
      TaskHandle: Buffer.from(JSON.stringify({ taskId: "x", sourceArn: p.dlqArn })).toString("base64"),
    });
    expect(missing.status).toBe(404);
    expect(missing.text).toContain("<Code>ResourceNotFoundException</Code><Message>Task does not exist.</Message>");
  });
});
