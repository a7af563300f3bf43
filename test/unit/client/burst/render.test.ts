import { describe, expect, test } from "vitest";
import { Chalk } from "chalk";
import { computeReport } from "../../../../src/client/burst/stats.js";
import { renderSummary, downsample } from "../../../../src/client/burst/render/summary.js";
import { renderHtmlReport, niceMax } from "../../../../src/client/burst/render/html.js";
import { sparkline, listSome, fmtMs } from "../../../../src/client/burst/render/format.js";
import type { BurstRawRun, SentRecord } from "../../../../src/client/burst/types.js";
import { liveConsumerLine } from "../../../../src/client/burst/render/consumer.js";
import { predictDrain } from "../../../../src/client/burst/consumer.js";
import { TEMPLATE_SETTINGS } from "./consumer-settings.js";

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
          sequenceNumber: String(1000 + i),
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

  test("names the unanswered messages found in the DLQ as dead-lettered, not lost", () => {
    const text = renderSummary(computeReport(run(["r-3", "r-7"])), plain);
    expect(text).toMatch(/✓ lost\s+0/);
    expect(text).toMatch(/✗ dead-lettered\s+2\s+2 in groups nothing was directed to fail in \(r-3, r-7\)/);
    expect(text).toMatch(/timed out/);
    expect(text).toMatch(/this run's unanswered messages found there: r-3, r-7/);
  });
});

describe("throttling, order and the quota in the summary and the page", () => {
  /** r-3 and r-5 (connection 1) answered by error frames; r-2 and r-4 (group g0) queued swapped. */
  function eventful(strictSendOrder = false): BurstRawRun {
    const base = run(["r-3", "r-5"]);
    const at = (id: string) => base.sent.find((s) => s.id === id)!.writtenAt! + 1;
    base.errors.errorFrames = [
      { connection: 1, at: at("r-3"), message: "Internal server error" },
      { connection: 1, at: at("r-5"), message: "Too Many Requests" },
    ];
    const r2 = base.received.find((r) => r.result.id === "r-2")!;
    const r4 = base.received.find((r) => r.result.id === "r-4")!;
    [r2.result.sequenceNumber, r4.result.sequenceNumber] = [r4.result.sequenceNumber, r2.result.sequenceNumber];
    // Answered in the queue's order, as the pattern promises.
    [r2.at, r4.at] = [r4.at, r2.at];
    base.received.sort((a, b) => a.at - b.at);
    base.config = {
      ...base.config,
      strictSendOrder,
      autoRate: true,
      rate: { kind: "fixed", perSecond: 480 },
      quota: {
        mode: "high-throughput",
        region: "us-east-1",
        scope: "group",
        quotaPerSecond: 300,
        queueQuotaPerSecond: 70_000,
        peakPerSecond: 240,
        busiest: "g0",
        predictedThrottled: 0,
        stage: null,
        ok: true,
        fixes: [],
        note: null,
      },
    };
    return base;
  }

  test("throttled messages are counted apart from lost ones, by where they were throttled", () => {
    const report = computeReport(eventful());
    expect(report.counts).toMatchObject({ lost: 0, throttled: 2, reorderedBeforeQueue: 1 });
    const text = renderSummary(report, plain);
    expect(text).toContain("rate 480/s (auto)");
    expect(text).toMatch(
      /high-throughput FIFO queue: 300 SendMessage\/s per message group; the plan put at most 240 within one second on one group: within the quota/,
    );
    expect(text).toMatch(/✓ lost\s+0/);
    expect(text).toMatch(/✗ throttled\s+2\s+1 by the queue's FIFO quota \(r-3\); 1 by API Gateway's stage throttle \(r-5\): never queued, not lost/);
    expect(text).toMatch(/✓ out of order\s+0/);
    expect(text).toMatch(/i send order\s+1\s+reached the queue out of send order, before the queue .*: r-2 \(seq 2 after 3\)/);
    const html = renderHtmlReport(report);
    expect(html).toMatch(/FIFO quota \(never queued\)<\/th><td>1<\/td><td>r-3/);
    expect(html).toMatch(/reached the queue out of send order \(information[^<]*<\/th><td>1<\/td>/);
  });

  test("--strict-send-order turns the reordering into a failed check", () => {
    const report = computeReport(eventful(true));
    expect(report.verification.ok).toBe(false);
    expect(renderSummary(report, plain)).toMatch(/✗ send order\s+1\s+reached the queue out of send order \(--strict-send-order\)/);
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

describe("the consumer's side", () => {
  const settings = { ...TEMPLATE_SETTINGS, localEnvironmentLimit: 10 };

  function directed(): BurstRawRun {
    const base = run(["r-5"]);
    const prediction = predictDrain({
      messages: base.sent.map((s) => ({ group: s.group, directives: { work: 20, ...(s.id === "r-5" ? { fail: "always" as const } : {}) } })),
      groups: 2,
      sendMs: 0,
      settings,
    });
    base.config.consumer = { flags: { workMs: 20, failRate: 0.05, failOnceRate: 0, seed: 7 }, failAlways: ["r-5"], failOnce: [], settings, prediction };
    base.outcome = "queue-empty";
    base.received = base.received.map((r, i) => ({
      ...r,
      result: {
        ...r.result,
        processedAt: 1000 + i * 20,
        consumer: {
          environment: `env${i % 2}`,
          invocation: `inv${Math.floor(i / 5)}`,
          batchSize: 5,
          workMs: 20,
          requestedWorkMs: 20,
          fail: null,
          redriven: false,
          directiveError: null,
        },
      },
    }));
    base.samples = base.samples.map((q, i) => ({ ...q, dlq: i >= 2 ? 1 : 0 }));
    return base;
  }

  test("the summary predicts the drain, measures it, counts batches and environments, and lists the directed dead letter", () => {
    const report = computeReport(directed());
    expect(report.verification.ok).toBe(true);
    expect(report.consumer).toMatchObject({ environments: 2, invocations: 4, meanBatchSize: 5, movedToDlq: 1, peakDlq: 1 });
    const text = renderSummary(report, plain);
    expect(text).toMatch(/Consumer {2}batches of up to 10, MaximumConcurrency 10, visibility timeout 90 s, maxReceiveCount 5/);
    expect(text).toMatch(/drain {6}predicted 450\.2 s, measured 500 ms \(-100%: off by more than 25%\)/);
    expect(text).toMatch(/batches {4}4 invocations in 2 environments, at most \d at once, 5 records each on average/);
    expect(text).toMatch(/to the DLQ 1 during the run/);
    expect(text).toMatch(/✓ dead-lettered {6}1 {2}1 directed to fail always \(r-5\)/);
    expect(text).toMatch(/complete: the queue drained, every message answered or dead-lettered as directed/);
  });

  test("the HTML report has the same consumer figures, and no consumer section when the run knows nothing of the consumer", () => {
    const html = renderHtmlReport(computeReport(directed()));
    expect(html).toContain("<h2>Consumer</h2>");
    expect(html).toContain("<p>batches of up to 10, MaximumConcurrency 10, visibility timeout 90 s, maxReceiveCount 5</p>");
    expect(html).toMatch(/<tr><th>drain<\/th><td>500 ms<\/td><td>predicted 450\.2 s \(-100%\): /);
    expect(html).toMatch(/<tr><th>batches<\/th><td>4<\/td><td>2 environments, at most \d at once, 5 records each on average<\/td><\/tr>/);
    expect(html).toContain("<tr><th>moved to the DLQ</th><td>1</td>");
    expect(html).toContain("<tr><th>dead-lettered</th><td>1</td><td>r-5</td></tr>");
    expect(renderHtmlReport(computeReport(run()))).not.toContain("<h2>Consumer</h2>");
  });

  test("the live line shows batches in flight out of the limit, retries and what moved to the DLQ", () => {
    const config = directed().config;
    const snapshot = {
      at: 1000,
      planned: 20,
      sent: 20,
      answered: 10,
      results: 10,
      errors: 0,
      queue: null,
      sendRate: 0,
      receiveRate: 10,
      sendingDone: true,
      consumer: { busyEnvironments: 2, retried: 3, movedToDlq: 1 },
    };
    expect(liveConsumerLine(snapshot, config)).toBe("batches in flight 2/10 (environments answering)  retried 3  moved to the DLQ 1");
    expect(liveConsumerLine({ ...snapshot, consumer: { busyEnvironments: null, retried: 0, movedToDlq: null } }, config)).toBe("concurrency up to 10");
  });
});
