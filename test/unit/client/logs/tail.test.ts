/**
 * tailLogGroup against a scripted CloudWatch Logs (aws-sdk-client-mock): the AWS-only paths that
 * the local cloud does not produce on demand — several pages per poll, events sharing the
 * millisecond the next poll starts from, a group that appears while following.
 */
import { describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import { CloudWatchLogsClient, FilterLogEventsCommand, ResourceNotFoundException } from "@aws-sdk/client-cloudwatch-logs";
import { tailLogGroup, type LogLine } from "../../../../src/client/logs/tail.js";
import { parseSince } from "../../../../src/cli/flags.js";

const event = (id: string, timestamp: number) => ({
  eventId: id,
  timestamp,
  message: `m-${id}\n`,
  logStreamName: "2026/11/25/[$LATEST]0123456789abcdef0123456789abcdef",
});

describe("tailLogGroup", () => {
  it("reads every page, then follows from the last timestamp without repeating events of that millisecond", async () => {
    const cw = mockClient(CloudWatchLogsClient);
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    cw.on(FilterLogEventsCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: "The specified log group does not exist.", $metadata: {} }))
      .resolvesOnce({ events: [event("1", 100), event("2", 200)], nextToken: "page-2" })
      .resolvesOnce({ events: [event("3", 300), event("4", 300)] })
      // The next poll starts at 300: 3 and 4 come back and must not be printed twice.
      .resolvesOnce({ events: [event("3", 300), event("4", 300), event("5", 300), event("6", 400)] })
      .callsFake(() => {
        stop();
        return { events: [event("6", 400)] };
      });
    const lines: LogLine[] = [];
    let missing = 0;
    await tailLogGroup({
      client: new CloudWatchLogsClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
      logGroupName: "/aws/lambda/f",
      startTime: 50,
      follow: true,
      pollMs: 1,
      stopped,
      onEvent: (line) => lines.push(line),
      onMissingGroup: () => missing++,
    });
    expect(missing).toBe(1);
    expect(lines.map((line) => line.message)).toEqual(["m-1", "m-2", "m-3", "m-4", "m-5", "m-6"]);
    const calls = cw.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input);
    expect(calls[2]).toMatchObject({ startTime: 50, nextToken: "page-2" });
    expect(calls[3]).toMatchObject({ startTime: 300 });
    expect(calls[3]?.nextToken).toBeUndefined();
    expect(calls[4]).toMatchObject({ startTime: 400 });
  });

  it("without --follow reads once and returns; other errors propagate", async () => {
    const cw = mockClient(CloudWatchLogsClient);
    cw.on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event("1", 100)] })
      .rejects(new Error("AccessDenied"));
    const client = new CloudWatchLogsClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    const lines: LogLine[] = [];
    await tailLogGroup({
      client,
      logGroupName: "g",
      startTime: 0,
      follow: false,
      pollMs: 1,
      stopped: new Promise(() => undefined),
      onEvent: (line) => lines.push(line),
    });
    expect(lines).toHaveLength(1);
    await expect(
      tailLogGroup({ client, logGroupName: "g", startTime: 0, follow: false, pollMs: 1, stopped: new Promise(() => undefined), onEvent: () => undefined }),
    ).rejects.toThrow("AccessDenied");
  });
});

describe("parseSince", () => {
  it("reads 30s, 10m, 2h and 1d, and refuses anything else as a usage error", () => {
    expect([parseSince("30s"), parseSince("10m"), parseSince("2h"), parseSince("1d")]).toEqual([30_000, 600_000, 7_200_000, 86_400_000]);
    expect(() => parseSince("yesterday")).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => parseSince("10")).toThrow();
  });
});
