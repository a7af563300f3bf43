/**
 * The SQS event source mapping end to end: a FIFO queue, a mapping created with
 * @aws-sdk/client-lambda, and handlers that report what they saw to a second queue through an
 * SQSClient created inside the handler with no endpoint (AWS_ENDPOINT_URL reaches the local cloud).
 */
import { describe, expect, it } from "vitest";
import {
  CreateEventSourceMappingCommand,
  DeleteFunctionConcurrencyCommand,
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  PutFunctionConcurrencyCommand,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { CreateQueueCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { useTestCloud } from "../../helpers/local-cloud.js";
import { clients, createFunction, fifoQueueWithDlq, mapQueue, receiveAll } from "./helpers.js";
import { reportingHandler, reports, sendGroups } from "./reporting.js";

describe("SQS event source mapping (FIFO)", () => {
  it("keeps order within each of 20 groups, runs groups in parallel up to MaximumConcurrency 5, deletes what succeeded", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const report = await sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
    const { queueUrl, queueArn } = await fifoQueueWithDlq(sqs, "ordered", { maxReceiveCount: 5, visibilityTimeout: 30 });
    await createFunction(
      lambda,
      "consumer",
      { "index.js": reportingHandler("return {};") },
      { Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl!, PAUSE_MS: "20", FULL: "1" } } },
    );
    const mapping = await mapQueue(lambda, "consumer", queueArn, { batchSize: 10, maximumConcurrency: 5, reportBatchItemFailures: true });
    expect(mapping).toMatchObject({
      BatchSize: 10,
      EventSourceArn: queueArn,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 5 },
    });

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
    const edges = intervals
      .flatMap((i) => [
        { at: i.start, delta: 1 },
        { at: i.end, delta: -1 },
      ])
      .sort((x, y) => x.at - y.at || x.delta - y.delta);
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
    expect(Object.keys(record).sort()).toEqual(
      ["attributes", "awsRegion", "body", "eventSource", "eventSourceARN", "md5OfBody", "messageAttributes", "messageId", "receiptHandle"].sort(),
    );
    expect(record).toMatchObject({ eventSource: "aws:sqs", eventSourceARN: queueArn, awsRegion: "us-east-1" });
    expect(Object.keys(record.attributes as object).sort()).toEqual(
      [
        "ApproximateFirstReceiveTimestamp",
        "ApproximateReceiveCount",
        "MessageDeduplicationId",
        "MessageGroupId",
        "SenderId",
        "SentTimestamp",
        "SequenceNumber",
      ].sort(),
    );

    // Everything succeeded, so the mapping deleted everything.
    const state = await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.UUID }));
    expect(state).toMatchObject({ State: "Enabled", LastProcessingResult: "OK" });
    const listed = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: "consumer" }));
    expect(listed.EventSourceMappings?.map((m) => m.UUID)).toEqual([mapping.UUID]);
    expect(await receiveAll(sqs, queueUrl, 1, 1_500)).toEqual([]);
  });

  it("reserved concurrency 0 pauses the mapping without receiving; removing it resumes with first deliveries", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const report = await sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
    const { queueUrl, queueArn } = await fifoQueueWithDlq(sqs, "paused", { maxReceiveCount: 1, visibilityTimeout: 5 });
    await createFunction(
      lambda,
      "paused",
      { "index.js": reportingHandler("return {};") },
      { Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl! } } },
    );
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
    await createFunction(
      lambda,
      "windowed",
      { "index.js": reportingHandler("return {};") },
      { Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl! } } },
    );
    // One poller (as on AWS, several pollers each gather their own batch).
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: "windowed", ReservedConcurrentExecutions: 1 }));
    await expect(
      lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "windowed", EventSourceArn: sourceArn, BatchSize: 25 })),
    ).rejects.toMatchObject({ name: "InvalidParameterValueException" });
    const mapping = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: "windowed",
        EventSourceArn: sourceArn,
        BatchSize: 25,
        MaximumBatchingWindowInSeconds: 2,
        Enabled: false,
      }),
    );
    expect(mapping).toMatchObject({ BatchSize: 25, MaximumBatchingWindowInSeconds: 2 });
    for (let start = 0; start < 25; start += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: source.QueueUrl,
          Entries: Array.from({ length: Math.min(10, 25 - start) }, (_, i) => ({ Id: String(i), MessageBody: `m${start + i}` })),
        }),
      );
    }
    expect((await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.UUID }))).State).toBe("Disabled");
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: true }));
    const seen = await reports(sqs, report.QueueUrl!, 25);
    expect(seen.map((batch) => batch.records.length)).toEqual([25]);
    expect(seen[0]!.records.every((r) => r.receiveCount === 1)).toBe(true);
  });
});
