// The pure and AWS-only paths of `wsq dlq`: a scripted SQS / CloudWatch Logs (aws-sdk-client-mock)
// for what the local cloud does not produce on demand.
import { describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { ListMessageMoveTasksCommand, SQSClient } from "@aws-sdk/client-sqs";
import { CloudWatchLogsClient, FilterLogEventsCommand, ResourceNotFoundException } from "@aws-sdk/client-cloudwatch-logs";
import { followRedrive } from "../../../src/client/dlq/redrive.js";
import { findFailureLogs, parseHandlerLine } from "../../../src/client/dlq/failure-logs.js";
import { formatAge, preview } from "../../../src/cli/actions/dlq.js";

const credentials = { region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } };

describe("following a redrive", () => {
  it("recognises its task once finished (no handle any more), and not the older task listed before it", async () => {
    const sqs = mockClient(SQSClient);
    const older = { Status: "COMPLETED", SourceArn: "arn", ApproximateNumberOfMessagesMoved: 9, StartedTimestamp: 1_000 };
    sqs
      .on(ListMessageMoveTasksCommand)
      // SQS has not listed the new task yet: the most recent is the older one.
      .resolvesOnce({ Results: [older] })
      // Ours, already finished: no TaskHandle, a newer StartedTimestamp.
      .resolvesOnce({
        Results: [
          { Status: "COMPLETED", SourceArn: "arn", ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3, StartedTimestamp: 2_000 },
        ],
      });
    const seen: number[] = [];
    const result = await followRedrive({
      sqs: new SQSClient(credentials),
      dlqArn: "arn",
      handle: "h",
      previousStartedAt: 1_000,
      pollMs: 1,
      signal: new AbortController().signal,
      onProgress: (task) => seen.push(task.moved),
    });
    expect(result).toMatchObject({ interrupted: false, task: { status: "COMPLETED", moved: 3, toMove: 3 } });
    expect(seen).toEqual([3]);
    sqs.restore();
  });

  it("stops following when interrupted, reporting the last state it saw", async () => {
    const sqs = mockClient(SQSClient);
    sqs
      .on(ListMessageMoveTasksCommand)
      .resolves({ Results: [{ Status: "RUNNING", TaskHandle: "h", ApproximateNumberOfMessagesMoved: 1, StartedTimestamp: 5 }] });
    const controller = new AbortController();
    const result = await followRedrive({
      sqs: new SQSClient(credentials),
      dlqArn: "arn",
      handle: "h",
      previousStartedAt: null,
      pollMs: 5,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(result).toMatchObject({ interrupted: true, task: { status: "RUNNING", moved: 1 } });
    sqs.restore();
  });
});

describe("the handler's errors in the logs", () => {
  it("reads the handler's JSON from a Lambda log line and keeps each message's latest error", async () => {
    const line = (t: number, id: string, error: string) => ({
      timestamp: t,
      message: `2026-12-05T10:00:00.000Z\treq-1\tERROR\t${JSON.stringify({ level: "error", message: "processing failed; the record will be retried", messageId: id, error })}\n`,
    });
    expect(parseHandlerLine(line(1, "m", "e").message)).toMatchObject({ level: "error", messageId: "m" });
    expect(parseHandlerLine("START RequestId: x Version: $LATEST")).toBeUndefined();
    const logs = mockClient(CloudWatchLogsClient);
    logs
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [line(10, "m1", "Error: first"), line(20, "other", "Error: not ours")], nextToken: "p2" })
      .resolvesOnce({
        events: [
          line(30, "m1", "Error: second"),
          { timestamp: 40, message: JSON.stringify({ level: "warn", message: "connection gone; result dropped", messageId: "m2" }) },
        ],
      });
    const search = await findFailureLogs({
      logs: new CloudWatchLogsClient(credentials),
      logGroupName: "/aws/lambda/f",
      messageIds: new Set(["m1", "m2"]),
      startTime: 0,
    });
    expect(search.problem).toBeNull();
    expect([...search.found]).toEqual([["m1", { timestamp: 30, message: "processing failed; the record will be retried", error: "Error: second" }]]);
    logs.restore();
  });

  it("says so when the function never logged", async () => {
    const logs = mockClient(CloudWatchLogsClient);
    logs.on(FilterLogEventsCommand).rejects(new ResourceNotFoundException({ message: "The specified log group does not exist.", $metadata: {} }));
    const search = await findFailureLogs({
      logs: new CloudWatchLogsClient(credentials),
      logGroupName: "/aws/lambda/f",
      messageIds: new Set(["m1"]),
      startTime: 0,
    });
    expect(search.problem).toMatch(/does not exist/);
    logs.restore();
  });
});

describe("list formatting", () => {
  it("ages and body previews", () => {
    expect(formatAge(45_000)).toBe("45s");
    expect(formatAge(192_000)).toBe("3m 12s");
    expect(formatAge(7_500_000)).toBe("2h 05m");
    expect(formatAge(90_000_000)).toBe("1d 01h");
    expect(preview('{"a":\n  1}', 80)).toBe('{"a": 1}');
    expect(preview("x".repeat(50), 10)).toBe(`${"x".repeat(9)}…`);
  });
});
