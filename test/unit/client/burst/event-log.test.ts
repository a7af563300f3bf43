import { describe, expect, test } from "vitest";
import { EVENT_LOG_FORMAT, fromEventLog, toEventLog } from "../../../../src/client/burst/event-log.js";
import { computeReport } from "../../../../src/client/burst/stats.js";
import { WsqError } from "../../../../src/shared/errors.js";
import type { BurstRawRun } from "../../../../src/client/burst/types.js";

function raw(): BurstRawRun {
  const sent = Array.from({ length: 12 }, (_, i) => ({
    id: `r-${i}`,
    group: `g${i % 3}`,
    seq: Math.floor(i / 3) + 1,
    connection: i % 3,
    dueAt: i * 2,
    sendCalledAt: i === 11 ? null : i * 2 + 0.1,
    writtenAt: i === 11 ? null : i * 2 + 0.2,
    sendError: null,
  }));
  return {
    config: {
      runId: "r",
      url: "ws://127.0.0.1:9/p",
      queueUrl: null,
      deadLetterQueueUrl: null,
      count: 12,
      connections: 3,
      activeConnections: 3,
      groups: 3,
      rate: { kind: "fixed", perSecond: 500 },
      size: 0,
      timeoutMs: 1000,
      pollIntervalMs: 250,
    },
    startedAtEpochMs: 1_700_000_000_000,
    connectMs: 4,
    endedAt: 80,
    sendEndedAt: 20.2,
    outcome: "interrupted",
    sent,
    received: sent
      .filter((s) => s.writtenAt !== null && s.id !== "r-4")
      .map((s, i) => ({
        at: (s.writtenAt as number) + 10 + (i % 4),
        connection: s.connection,
        result: {
          type: "result" as const,
          id: s.id,
          seq: s.seq,
          messageId: `m${i}`,
          group: s.group,
          sequenceNumber: String(i),
          receiveCount: 1,
          connectionId: `c${s.connection}`,
          requestId: null,
          queueWaitMs: 3,
          processedAt: 0,
          data: "",
        },
      })),
    samples: [
      { at: 0, visible: 0, inFlight: 0, delayed: 0 },
      { at: 30, visible: 5, inFlight: 1, delayed: 0 },
    ],
    errors: {
      connectFailures: [],
      throttled: 0,
      errorFrames: [{ connection: 1, at: 5, message: "Internal server error" }],
      closes: [],
      sendErrors: 0,
      otherFrames: 0,
      queuePollErrors: [],
    },
    dlq: null,
  };
}

describe("the NDJSON event log", () => {
  test("replaying it gives exactly the report of the run it recorded", () => {
    const run = raw();
    const text = toEventLog(run);
    expect(computeReport(fromEventLog(text))).toEqual(computeReport(run));
  });

  test("is one JSON object per line, header first, footer last, events in time order", () => {
    const lines = toEventLog(raw())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; at?: number; sendCalledAt?: number | null });
    expect(lines[0]).toMatchObject({ type: "run", format: EVENT_LOG_FORMAT });
    expect(lines[lines.length - 1]).toMatchObject({ type: "end", outcome: "interrupted" });
    expect(lines.filter((l) => l.type === "send")).toHaveLength(12);
    expect(lines.filter((l) => l.type === "result")).toHaveLength(10);
    expect(lines.filter((l) => l.type === "queue")).toHaveLength(2);
    const times = lines.slice(1, -1).map((l) => (l.type === "send" ? (l.sendCalledAt ?? Infinity) : (l.at as number)));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  test.each([
    ["garbage", /not JSON/],
    ['{"type":"run","format":"other/9"}', /format "other\/9"/],
    ['{"type":"send","id":"x-1"}', /no run header/],
    [`{"type":"run","format":"${EVENT_LOG_FORMAT}","config":{},"startedAtEpochMs":0,"connectMs":0}`, /no end record/],
    [`{"type":"run","format":"${EVENT_LOG_FORMAT}"}\n{"type":"mystery"}`, /unknown record type "mystery"/],
  ])("refuses %j with a clear error", (text, message) => {
    expect(() => fromEventLog(text, "f.ndjson")).toThrow(WsqError);
    expect(() => fromEventLog(text, "f.ndjson")).toThrow(message);
  });
});
