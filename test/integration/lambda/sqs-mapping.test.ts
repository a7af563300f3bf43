/**
 * The SQS event source mapping end to end: a FIFO queue, a mapping created with
 * @aws-sdk/client-lambda, and handlers that report what they saw to a second queue through an
 * SQSClient created inside the handler with no endpoint (AWS_ENDPOINT_URL reaches the local cloud).
 */
import { describe, expect, it } from "vitest";
import { CreateEventSourceMappingCommand, DeleteFunctionConcurrencyCommand, GetEventSourceMappingCommand, ListEventSourceMappingsCommand, PutFunctionConcurrencyCommand, UpdateEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, SendMessageBatchCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { useTestCloud } from "../../helpers/local-cloud.js";
import { clients, createFunction, fifoQueueWithDlq, mapQueue, receiveAll } from "./helpers.js";

interface Seen {
  pid: number;
  start: number;
  end: number;
  records: { messageId: string; body: string; group: string; receiveCount: number; record?: unknown }[];
}

/** The handler reports each batch to REPORT_QUEUE_URL, then answers per `behaviour` (the body of the source). */
function reportingHandler(behaviour: string): string {
  return `
const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");
const sqs = new SQSClient({});
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
exports.handler = async (event) => {
  const start = Date.now();
  await pause(Number(process.env.PAUSE_MS || 0));
  const records = event.Records.map((r) => ({ messageId: r.messageId, body: r.body, group: r.attributes.MessageGroupId, receiveCount: Number(r.attributes.ApproximateReceiveCount), record: process.env.FULL ? r : undefined }));
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.REPORT_QUEUE_URL, MessageBody: JSON.stringify({ pid: process.pid, start, end: Date.now(), records }) }));
  ${behaviour}
};`;
}

async function reports(sqs: SQSClient, queueUrl: string, records: number): Promise<Seen[]> {
  const seen: Seen[] = [];
  let count = 0;
  const deadline = Date.now() + 25_000;
  while (count < records && Date.now() < deadline) {
    for (const message of await receiveAll(sqs, queueUrl, 1, 2_000)) {
      const batch = JSON.parse(message.Body ?? "{}") as Seen;
      seen.push(batch);
      count += batch.records.length;
    }
  }
  return seen;
}

async function sendGroups(sqs: SQSClient, queueUrl: string, groups: number, perGroup: number, body = (g: number, i: number) => `g${g}-${i}`): Promise<void> {
  // Interleaved, so batches mix groups as a real burst does.
  const messages: { group: number; index: number }[] = [];
  for (let index = 0; index < perGroup; index++) for (let group = 0; group < groups; group++) messages.push({ group, index });
  for (let start = 0; start < messages.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.slice(start, start + 10).map((m, i) => ({ Id: String(i), MessageBody: body(m.group, m.index), MessageGroupId: `g${m.group}`, MessageDeduplicationId: `g${m.group}-${m.index}` })),
      }),
    );
  }
}

describe("SQS event source mapping (FIFO)", () => {
  it("keeps order within each of 20 groups, runs groups in parallel up to MaximumConcurrency 5, deletes what succeeded", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const report = await sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
    const { queueUrl, queueArn } = await fifoQueueWithDlq(sqs, "ordered", { maxReceiveCount: 5, visibilityTimeout: 30 });
    await createFunction(lambda, "consumer", { "index.js": reportingHandler("return {};") }, { Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl!, PAUSE_MS: "20", FULL: "1" } } });
    const mapping = await mapQueue(lambda, "consumer", queueArn, { batchSize: 10, maximumConcurrency: 5, reportBatchItemFailures: true });
    expect(mapping).toMatchObject({ BatchSize: 10, EventSourceArn: queueArn, FunctionResponseTypes: ["ReportBatchItemFailures"], ScalingConfig: { MaximumConcurrency: 5 } });

    const groups = 20;
    const perGroup = 10;
    await sendGroups(sqs, queueUrl, groups, perGroup);
    const seen = await reports(sqs, report.QueueUrl!, groups * perGroup);

    const delivered = seen.flatMap((batch) => batch.records);
    expect(delivered).toHaveLength(groups * perGroup);
    for (let group = 0; group < groups; group++) {
      const order = seen
        .flatMap((batch) => batch.records.map((r) => ({ ...r, start: batch.start })))
        .filter((r) => r.group === `g${group}`)
        .sort((a, b) => a.start - b.start)
        .map((r) => r.body);
      expect(order).toEqual(Array.from({ length: perGroup }, (_, i) => `g${group}-${i}`));
    }
    // Never two batches of one group at once; batches of different groups overlapped; at most 5 at once.
    const intervals = seen.map((batch) => ({ start: batch.start, end: batch.end, groups: new Set(batch.records.map((r) => r.group)) }));
    const edges = intervals.flatMap((i) => [{ at: i.start, delta: 1 }, { at: i.end, delta: -1 }]).sort((x, y) => x.at - y.at || x.delta - y.delta);
    let running = 0;
    let mostAtOnce = 0;
    for (const edge of edges) mostAtOnce = Math.max(mostAtOnce, (running += edge.delta));
    expect(mostAtOnce).toBeLessThanOrEqual(5);
    let overlapped = false;
    for (const a of intervals) {
      const concurrent = intervals.filter((b) => b.start < a.end && a.start < b.end);
      for (const b of concurrent) {
        if (a === b) continue;
        overlapped = true;
        for (const group of a.groups) expect(b.groups.has(group)).toBe(false);
      }
    }
    expect(overlapped).toBe(true);
    // Warm workers: more than one, at most one per concurrent batch, reused for batch after batch.
    const pids = new Set(seen.map((batch) => batch.pid));
    expect(pids.size).toBeGreaterThan(1);
    expect(pids.size).toBeLessThanOrEqual(5);
    expect(seen.length).toBeGreaterThan(pids.size);

    // Records shaped as Lambda's SQS poller sends them.
    const record = delivered[0]!.record as Record<string, unknown>;
    expect(Object.keys(record).sort()).toEqual(["attributes", "awsRegion", "body", "eventSource", "eventSourceARN", "md5OfBody", "messageAttributes", "messageId", "receiptHandle"].sort());
    expect(record).toMatchObject({ eventSource: "aws:sqs", eventSourceARN: queueArn, awsRegion: "us-east-1" });
    expect(Object.keys(record.attributes as object).sort()).toEqual(
      ["ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "MessageDeduplicationId", "MessageGroupId", "SenderId", "SentTimestamp", "SequenceNumber"].sort(),
    );

    // Everything succeeded, so the mapping deleted everything.
    const state = await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.UUID }));
    expect(state).toMatchObject({ State: "Enabled", LastProcessingResult: "OK" });
    const listed = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: "consumer" }));
    expect(listed.EventSourceMappings?.map((m) => m.UUID)).toEqual([mapping.UUID]);
    expect(await receiveAll(sqs, queueUrl, 1, 1_500)).toEqual([]);
  });

  it("partial batch failure: the failed message is retried before the rest of its group; a poison message goes to the DLQ after maxReceiveCount", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const report = await sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
    const { queueUrl, queueArn, dlqUrl } = await fifoQueueWithDlq(sqs, "partial", { maxReceiveCount: 3, visibilityTimeout: 2 });
    // FIFO handlers stop at the first failure of a group and report it and everything after it.
    const behaviour = `
      const failed = new Set();
      const batchItemFailures = [];
      for (const r of event.Records) {
        const group = r.attributes.MessageGroupId;
        const fails = failed.has(group) || r.body === "poison" || (r.body === "flaky" && r.attributes.ApproximateReceiveCount === "1");
        if (fails) { failed.add(group); batchItemFailures.push({ itemIdentifier: r.messageId }); }
      }
      return { batchItemFailures };`;
    await createFunction(lambda, "partial", { "index.js": reportingHandler(behaviour) }, { Timeout: 2, Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl! } } });
    await mapQueue(lambda, "partial", queueArn, { batchSize: 10, maximumConcurrency: 2, reportBatchItemFailures: true });

    for (const [group, bodies] of [["a", ["a1", "flaky", "a3"]], ["b", ["poison"]], ["c", ["c1", "c2"]]] as const) {
      for (const [index, body] of bodies.entries()) {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: `${group}${index}` }));
      }
    }
    const dead = await receiveAll(sqs, dlqUrl, 1);
    expect(dead.map((m) => m.Body)).toEqual(["poison"]);
    // a: a1 once, flaky twice (fails, then succeeds), a3 only after flaky succeeded; c untouched by the failures.
    const seen = await reports(sqs, report.QueueUrl!, 1 + 2 + 2 + 3 + 2);
    const timeline = seen.sort((x, y) => x.start - y.start).flatMap((batch) => batch.records);
    const of = (group: string) => timeline.filter((r) => r.group === group).map((r) => `${r.body}#${r.receiveCount}`);
    expect(of("a")).toEqual(["a1#1", "flaky#1", "a3#1", "flaky#2", "a3#2"]);
    expect(of("b")).toEqual(["poison#1", "poison#2", "poison#3"]);
    expect(of("c")).toEqual(["c1#1", "c2#1"]);
    expect(await receiveAll(sqs, queueUrl, 1, 1_500)).toEqual([]);
  });

  it("a malformed batch response fails the whole batch", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const report = await sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
    const { queueUrl, queueArn } = await fifoQueueWithDlq(sqs, "malformed", { maxReceiveCount: 5, visibilityTimeout: 2 });
    const behaviour = `if (event.Records[0].attributes.ApproximateReceiveCount === "1") return { batchItemFailures: [{ itemIdentifier: "not-a-message-of-this-batch" }] }; return {};`;
    await createFunction(lambda, "malformed", { "index.js": reportingHandler(behaviour) }, { Timeout: 2, Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl! } } });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: ["m1", "m2", "m3"].map((body) => ({ Id: body, MessageBody: body, MessageGroupId: "only", MessageDeduplicationId: body })) }));
    await mapQueue(lambda, "malformed", queueArn, { reportBatchItemFailures: true });
    const seen = await reports(sqs, report.QueueUrl!, 6);
    const timeline = seen.sort((x, y) => x.start - y.start).flatMap((batch) => batch.records.map((r) => `${r.body}#${r.receiveCount}`));
    expect(timeline).toEqual(["m1#1", "m2#1", "m3#1", "m1#2", "m2#2", "m3#2"]);
    expect(await receiveAll(sqs, queueUrl, 1, 1_500)).toEqual([]);
  });

  it("a throwing, crashing, exiting and timing-out handler each lead to retries and then the DLQ; other groups and the cloud carry on", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const report = await sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
    const { queueUrl, queueArn, dlqUrl } = await fifoQueueWithDlq(sqs, "failing", { maxReceiveCount: 2, visibilityTimeout: 2 });
    const behaviour = `
      const body = event.Records[0].body;
      if (body === "throw") throw new Error("boom");
      if (body === "exit") process.exit(1);
      if (body === "crash") { setTimeout(() => { throw new Error("crash"); }); await pause(5000); }
      if (body === "loop") for (;;) {}
      return {};`;
    // 2 s, not 1: a healthy invocation on a loaded 2-core CI machine must not time out.
    await createFunction(lambda, "failing", { "index.js": reportingHandler(behaviour) }, { Timeout: 2, Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl! } } });
    await mapQueue(lambda, "failing", queueArn, { batchSize: 1, maximumConcurrency: 5 });
    for (const body of ["throw", "exit", "crash", "loop", "fine"]) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: body, MessageDeduplicationId: body }));
    }
    const dead = await receiveAll(sqs, dlqUrl, 4);
    expect(dead.map((m) => m.Body).sort()).toEqual(["crash", "exit", "loop", "throw"]);
    const seen = (await reports(sqs, report.QueueUrl!, 9)).flatMap((batch) => batch.records.map((r) => `${r.body}#${r.receiveCount}`));
    expect(seen.sort()).toEqual(["crash#1", "crash#2", "exit#1", "exit#2", "fine#1", "loop#1", "loop#2", "throw#1", "throw#2"]);
    expect(await receiveAll(sqs, queueUrl, 1, 1_500)).toEqual([]);
  });

  it("reserved concurrency 0 pauses the mapping without receiving; removing it resumes with first deliveries", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const report = await sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
    const { queueUrl, queueArn } = await fifoQueueWithDlq(sqs, "paused", { maxReceiveCount: 1, visibilityTimeout: 5 });
    await createFunction(lambda, "paused", { "index.js": reportingHandler("return {};") }, { Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl! } } });
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: "paused", ReservedConcurrentExecutions: 0 }));
    const mapping = await mapQueue(lambda, "paused", queueArn);
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.UUID }))).LastProcessingResult).toMatch(/reserved concurrency is 0/);
    await sendGroups(sqs, queueUrl, 3, 2);
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: "paused" }));
    const seen = (await reports(sqs, report.QueueUrl!, 6)).flatMap((batch) => batch.records);
    // With maxReceiveCount 1, a single wasted receive would have sent a message to the DLQ.
    expect(seen.map((r) => r.receiveCount)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("standard queue: a batching window gathers a batch larger than one receive; a disabled mapping does not poll until enabled", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const report = await sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
    const source = await sqs.send(new CreateQueueCommand({ QueueName: "standard-source", Attributes: { VisibilityTimeout: "30" } }));
    const sourceArn = `arn:aws:sqs:us-east-1:000000000000:standard-source`;
    await createFunction(lambda, "windowed", { "index.js": reportingHandler("return {};") }, { Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl! } } });
    // One poller (as on AWS, several pollers each gather their own batch).
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: "windowed", ReservedConcurrentExecutions: 1 }));
    await expect(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "windowed", EventSourceArn: sourceArn, BatchSize: 25 }))).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    const mapping = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "windowed", EventSourceArn: sourceArn, BatchSize: 25, MaximumBatchingWindowInSeconds: 2, Enabled: false }));
    expect(mapping).toMatchObject({ BatchSize: 25, MaximumBatchingWindowInSeconds: 2 });
    for (let start = 0; start < 25; start += 10) {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: source.QueueUrl, Entries: Array.from({ length: Math.min(10, 25 - start) }, (_, i) => ({ Id: String(i), MessageBody: `m${start + i}` })) }));
    }
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.UUID }))).State).toBe("Disabled");
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: true }));
    const seen = await reports(sqs, report.QueueUrl!, 25);
    expect(seen.map((batch) => batch.records.length)).toEqual([25]);
    expect(seen[0]!.records.every((r) => r.receiveCount === 1)).toBe(true);
  });
});
