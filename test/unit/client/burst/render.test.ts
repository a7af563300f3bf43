import { describe, expect, test } from "vitest";
import { Chalk } from "chalk";
import { computeReport } from "../../../../src/client/burst/stats.js";
import { renderSummary, downsample } from "../../../../src/client/burst/render/summary.js";
import { renderHtmlReport, niceMax } from "../../../../src/client/burst/render/html.js";
import { sparkline, listSome, fmtMs } from "../../../../src/client/burst/render/format.js";
import type { BurstRawRun, SentRecord } from "../../../../src/client/burst/types.js";

const plain = new Chalk({ level: 0 });

function run(lostIds: string[] = []): BurstRawRun {
  const sent: SentRecord[] = Array.from({ length: 20 }, (_, i) => ({
    id: `r-${i}`,
    group: `g${i % 2}`,
    seq: Math.floor(i / 2) + 1,
    connection: i % 2,
    dueAt: 0,
    sendCalledAt: i * 0.1,
    writtenAt: i * 0.1 + 0.05,
    sendError: null,
  }));
  return {
    config: {
      runId: "r",
      url: "ws://127.0.0.1:9/production",
      queueUrl: "http://127.0.0.1:9/000000000000/q.fifo",
      deadLetterQueueUrl: "http://127.0.0.1:9/000000000000/dlq.fifo",
      count: 20,
      connections: 2,
      activeConnections: 2,
      groups: 2,
      rate: { kind: "max" },
      size: 100,
      timeoutMs: 60_000,
      pollIntervalMs: 250,
    },
    startedAtEpochMs: Date.UTC(2026, 10, 25),
    connectMs: 3,
    endedAt: 600,
    sendEndedAt: 2,
    outcome: lostIds.length > 0 ? "timeout" : "complete",
    sent,
    received: sent
      .filter((s) => !lostIds.includes(s.id))
      .map((s, i) => ({
        at: 10 + i * 20,
        connection: s.connection,
        result: {
          type: "result",
          id: s.id,
          seq: s.seq,
          messageId: `m${i}`,
          group: s.group,
          sequenceNumber: "1",
          receiveCount: 1,
          connectionId: `c${s.connection}`,
          requestId: null,
          queueWaitMs: 5 + i * 20,
          processedAt: 0,
          data: "",
        },
      })),
    samples: [
      { at: 0, visible: 0, inFlight: 0, delayed: 0 },
      { at: 250, visible: 12, inFlight: 2, delayed: 0 },
      { at: 500, visible: 2, inFlight: 1, delayed: 0 },
      { at: 750, visible: 0, inFlight: 0, delayed: 0 },
    ],
    errors: { connectFailures: [], throttled: 0, errorFrames: [], closes: [], sendErrors: 0, otherFrames: 0, queuePollErrors: [] },
    dlq: { depth: { visible: lostIds.length, inFlight: 0 }, lostIds, partial: false, error: null },
  };
}

describe("renderSummary", () => {
  test("shows the counts, peak depth, drain and the verification from the report", () => {
    const text = renderSummary(computeReport(run()), plain);
    expect(text).toContain("wsq burst 20 messages over 2 connections, 2 groups, rate max, 100 B each");
    expect(text).toMatch(/peak depth 14 \(visible 12, in flight 2\) at 250 ms/);
    expect(text).toMatch(/every message answered exactly once/);
    expect(text).toMatch(/lost\s+0/);
    expect(text).toMatch(/Queue depth/);
    expect(text).toMatch(/DLQ\s+0 message/);
  });

  test("names lost messages and the ones found in the DLQ", () => {
    const text = renderSummary(computeReport(run(["r-3", "r-7"])), plain);
    expect(text).toMatch(/✗ lost\s+2\s+r-3, r-7; in the DLQ: r-3, r-7/);
    expect(text).toMatch(/timed out/);
    expect(text).toMatch(/this run's lost messages found there: r-3, r-7/);
  });
});

describe("renderHtmlReport", () => {
  test("is one self-contained page: inline SVG charts, no external references, the report embedded", () => {
    const html = renderHtmlReport(computeReport(run()));
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).not.toMatch(/(src|href)=/);
    expect(html).not.toMatch(/<script(?![^>]*application\/json)/);
    const json = /<script type="application\/json" id="wsq-burst-report">(.*)<\/script>/s.exec(html)![1]!;
    expect(JSON.parse(json).counts.answered).toBe(20);
  });

  test("escapes what it shows, so a hostile URL cannot inject markup", () => {
    const raw = run();
    raw.config.url = 'ws://x/"><img src=x onerror=alert(1)>';
    const html = renderHtmlReport(computeReport(raw));
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img");
  });
});

describe("formatting helpers", () => {
  test("sparkline scales to the largest value and keeps the last width values", () => {
    expect(sparkline([0, 1, 2, 4, 8], 5)).toBe(" ▂▃▅█");
    expect(sparkline([8, 0, 8], 2)).toBe(" █");
    expect(sparkline([], 5)).toBe("");
  });
  test("downsample keeps peaks", () => {
    expect(downsample([0, 9, 0, 0, 1, 0], 3)).toEqual([9, 0, 1]);
    expect(downsample([1, 2], 5)).toEqual([1, 2]);
  });
  test("niceMax, listSome and fmtMs", () => {
    expect([niceMax(0), niceMax(7), niceMax(12), niceMax(300), niceMax(1000)]).toEqual([1, 10, 20, 500, 1000]);
    expect(listSome(["a", "b", "c"], 2)).toBe("a, b … and 1 more");
    expect([fmtMs(null), fmtMs(1.234), fmtMs(250), fmtMs(1500), fmtMs(12_000)]).toEqual(["-", "1.2 ms", "250 ms", "1.50 s", "12.0 s"]);
  });
});
