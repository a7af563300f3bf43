/**
 * The CloudWatch Logs subset through @aws-sdk/client-cloudwatch-logs: groups with retention,
 * streams, PutLogEvents, GetLogEvents paging in both directions, FilterLogEvents with patterns and
 * time ranges, the errors clients rely on, and what survives a restart.
 */
import { describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { sdkConfig, startTestCloud, tempDir, useTestCloud } from "../../helpers/local-cloud.js";

describe("the local CloudWatch Logs subset", () => {
  it("creates groups and streams, stores events, pages and filters them", async () => {
    const cloud = await useTestCloud();
    const logs = new CloudWatchLogsClient({ ...sdkConfig(cloud), maxAttempts: 1 });
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/aws/lambda/app" }));
    await expect(logs.send(new CreateLogGroupCommand({ logGroupName: "/aws/lambda/app" }))).rejects.toMatchObject({ name: "ResourceAlreadyExistsException" });
    await expect(logs.send(new CreateLogGroupCommand({ logGroupName: "bad name!" }))).rejects.toMatchObject({ name: "InvalidParameterException" });
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: "/aws/lambda/app", retentionInDays: 14 }));
    await expect(logs.send(new PutRetentionPolicyCommand({ logGroupName: "/aws/lambda/app", retentionInDays: 2 }))).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/aws/lambda/" }));
    expect(groups.logGroups).toMatchObject([
      { logGroupName: "/aws/lambda/app", retentionInDays: 14, arn: "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/app:*" },
    ]);

    await logs.send(new CreateLogStreamCommand({ logGroupName: "/aws/lambda/app", logStreamName: "s1" }));
    await expect(
      logs.send(new PutLogEventsCommand({ logGroupName: "/aws/lambda/app", logStreamName: "missing", logEvents: [{ timestamp: 1, message: "x" }] })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    const base = Date.now() - 10_000;
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: "/aws/lambda/app",
        logStreamName: "s1",
        logEvents: Array.from({ length: 25 }, (_, i) => ({ timestamp: base + i, message: i % 5 === 0 ? `ERROR number ${i}` : `INFO number ${i}` })),
      }),
    );

    const head = await logs.send(new GetLogEventsCommand({ logGroupName: "/aws/lambda/app", logStreamName: "s1", startFromHead: true, limit: 10 }));
    expect(head.events?.map((e) => e.message)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 5 === 0 ? `ERROR number ${i}` : `INFO number ${i}`)));
    const next = await logs.send(
      new GetLogEventsCommand({ logGroupName: "/aws/lambda/app", logStreamName: "s1", nextToken: head.nextForwardToken, limit: 10 }),
    );
    expect(next.events?.map((e) => e.message).slice(0, 2)).toEqual(["ERROR number 10", "INFO number 11"]);
    const tail = await logs.send(new GetLogEventsCommand({ logGroupName: "/aws/lambda/app", logStreamName: "s1", limit: 3 }));
    expect(tail.events?.map((e) => e.message)).toEqual(["INFO number 22", "INFO number 23", "INFO number 24"]);

    const errors = await logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/app", filterPattern: "ERROR" }));
    expect(errors.events?.map((e) => e.message)).toEqual(["ERROR number 0", "ERROR number 5", "ERROR number 10", "ERROR number 15", "ERROR number 20"]);
    expect(errors.events?.[0]).toMatchObject({ logStreamName: "s1", timestamp: base });
    const ranged = await logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/app", startTime: base + 20, endTime: base + 22 }));
    expect(ranged.events?.map((e) => e.message)).toEqual(["ERROR number 20", "INFO number 21", "INFO number 22"]);
    const paged = await logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/app", limit: 20 }));
    expect(paged.events).toHaveLength(20);
    const rest = await logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/app", limit: 20, nextToken: paged.nextToken }));
    expect(rest.events?.map((e) => e.message)).toEqual(["ERROR number 20", "INFO number 21", "INFO number 22", "INFO number 23", "INFO number 24"]);
    expect(rest.nextToken).toBeUndefined();
    await expect(logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/app", filterPattern: "{ $.x = 1 }" }))).rejects.toMatchObject({
      name: "InvalidParameterException",
    });

    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: "/aws/lambda/app" }));
    expect(streams.logStreams).toMatchObject([{ logStreamName: "s1", firstEventTimestamp: base, lastEventTimestamp: base + 24 }]);
    await logs.send(new DeleteLogGroupCommand({ logGroupName: "/aws/lambda/app" }));
    await expect(logs.send(new FilterLogEventsCommand({ logGroupName: "/aws/lambda/app" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("keeps events across a restart", async () => {
    const dataDir = tempDir();
    try {
      const first = await startTestCloud({ dataDir, keepData: true });
      let logs = new CloudWatchLogsClient({ ...sdkConfig(first), maxAttempts: 1 });
      await logs.send(new CreateLogGroupCommand({ logGroupName: "kept" }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: "kept", logStreamName: "s" }));
      await logs.send(
        new PutLogEventsCommand({ logGroupName: "kept", logStreamName: "s", logEvents: [{ timestamp: Date.now(), message: "before the restart" }] }),
      );
      await first.stop();
      const second = await startTestCloud({ dataDir, keepData: true });
      try {
        logs = new CloudWatchLogsClient({ ...sdkConfig(second), maxAttempts: 1 });
        const events = await logs.send(new FilterLogEventsCommand({ logGroupName: "kept" }));
        expect(events.events?.map((e) => e.message)).toEqual(["before the restart"]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
