import { afterEach, describe, expect, test } from "vitest";
import { SQSClient } from "@aws-sdk/client-sqs";
import { planBurst, type Rate } from "../../../src/client/burst/plan.js";
import { runBurst, runBurstRaw, type BurstEvent, type RunBurstOptions } from "../../../src/client/burst/run-burst.js";
import { sqsQueueProbe, type QueueProbe } from "../../../src/client/burst/queue-probe.js";
import type { BurstConfig, BurstReport } from "../../../src/client/burst/types.js";
import { WsqError } from "../../../src/shared/errors.js";
import { startFakePatternServer, type FakePatternServer, type FakeServerOptions } from "./fake-pattern-server.js";
import { useTestCloud, sdkConfig } from "../../helpers/local-cloud.js";
import { createSqsFakeQueue } from "./sqs-fake-queue.js";

const servers: FakePatternServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options: FakeServerOptions = {}): Promise<FakePatternServer> {
  const s = await startFakePatternServer(options);
  servers.push(s);
  return s;
}

interface Run {
  count: number;
  connections?: number;
  groups?: number;
  rate?: Rate;
  size?: number;
  timeoutMs?: number;
  probe?: QueueProbe;
  signal?: AbortSignal;
  onEvent?: (event: BurstEvent) => void;
  runId?: string;
  strictSendOrder?: boolean;
}

function burst(url: string, run: Run): Promise<BurstReport> {
  return runBurst(burstOptions(url, run));
}

function burstOptions(url: string, run: Run): RunBurstOptions {
  const connections = run.connections ?? 4;
  const groups = run.groups ?? connections;
  const rate = run.rate ?? { kind: "max" };
  const runId = run.runId ?? "t";
  const plan = planBurst({ count: run.count, connections, groups, rate, size: run.size ?? 0, runId });
  const config: BurstConfig = {
    runId,
    url,
    queueUrl: run.probe ? "probe" : null,
    deadLetterQueueUrl: null,
    count: run.count,
    connections,
    activeConnections: plan.activeConnections,
    groups,
    rate,
    size: run.size ?? 0,
    timeoutMs: run.timeoutMs ?? 20_000,
    pollIntervalMs: 100,
    strictSendOrder: run.strictSendOrder === true,
  };
  return { url, plan, config, probe: run.probe, signal: run.signal, onEvent: run.onEvent };
}

describe("runBurst against a fake pattern server", () => {
  test("every figure matches what really went over the wire", async () => {
    const s = await server();
    const report = await burst(s.url, { count: 400, connections: 4, groups: 8, size: 300 });
    expect(report.outcome).toBe("complete");
    expect(report.verification.ok).toBe(true);
    expect(report.counts).toEqual({
      planned: 400,
      sent: 400,
      answered: 400,
      results: 400,
      lost: 0,
      deadLettered: 0,
      duplicated: 0,
      throttled: 0,
      refused: 0,
      reorderedBeforeQueue: 0,
    });

    // The server saw each id exactly once, every frame exactly --size bytes, in seq order per group,
    // and each group over a single connection.
    expect(s.received).toHaveLength(400);
    expect(new Set(s.received.map((r) => r.frame.id)).size).toBe(400);
    expect(s.received.every((r) => Buffer.byteLength(JSON.stringify(r.frame)) === 300)).toBe(true);
    const byGroup = new Map<string, { seqs: number[]; connections: Set<string> }>();
    for (const r of s.received) {
      const g = byGroup.get(r.frame.MessageGroupId!) ?? { seqs: [], connections: new Set() };
      g.seqs.push(r.frame.seq!);
      g.connections.add(r.connectionId);
      byGroup.set(r.frame.MessageGroupId!, g);
    }
    expect(byGroup.size).toBe(8);
    for (const g of byGroup.values()) {
      expect(g.seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(g.connections.size).toBe(1);
    }
    expect(s.connections).toHaveLength(4);
    expect(report.latency.endToEnd.count).toBe(400);
    expect(report.latency.endToEnd.max!).toBeGreaterThanOrEqual(report.latency.fromWrite.max!);
    const last = report.timeline[report.timeline.length - 1]!;
    expect([last.sent, last.received]).toEqual([400, 400]);
  });

  test("drops, duplicates, reorders and misroutes are each reported by id", async () => {
    // Group 0 of 4 holds t-0, t-4, t-8, …; reorder t-4 (held until t-8 is answered).
    const s = await server({ drop: new Set(["t-5", "t-17"]), duplicate: new Set(["t-2"]), reorder: new Set(["t-4"]), misroute: new Set(["t-7"]) });
    const report = await burst(s.url, { count: 40, connections: 4, timeoutMs: 1500 });
    const v = report.verification;
    expect(v.ok).toBe(false);
    expect(report.outcome).toBe("timeout");
    expect(v.lost).toEqual(["t-5", "t-17"]);
    expect(v.duplicated).toEqual([{ id: "t-2", count: 2 }]);
    expect(v.orderViolations).toEqual([expect.objectContaining({ id: "t-4", seq: 2, afterId: "t-8", afterSeq: 3 })]);
    expect(v.misrouted).toEqual([expect.objectContaining({ id: "t-7", sentOn: 3 })]);
    expect(v.retried).toBe(1);
    expect(report.counts.answered).toBe(38);
  });

  test("messages answered by API Gateway's failure frame are counted as throttled at the queue, apart from lost ones", async () => {
    const s = await server({ errorFrame: new Set(["t-1", "t-3"]), drop: new Set(["t-5"]) });
    const report = await burst(s.url, { count: 10, connections: 2, timeoutMs: 1000 });
    expect(report.errors.errorFrames.map((e) => e.message)).toEqual(["Internal server error", "Internal server error"]);
    expect(report.verification.throttled).toEqual({ queue: ["t-1", "t-3"], stage: [] });
    expect(report.verification.lost).toEqual(["t-5"]);
    expect(report.counts).toMatchObject({ lost: 1, throttled: 2 });
    expect(report.verification.ok).toBe(false);
  });

  test("a gateway that reorders before the queue: sequence-number order holds, the reorderings are counted apart, --strict-send-order fails", async () => {
    // Group 0 of 4 holds t-0, t-4, t-8, …: t-4 reaches the queue after t-8, and t-9 after t-13.
    const s = await server({ reorderBeforeQueue: new Set(["t-4", "t-9"]) });
    const report = await burst(s.url, { count: 40, connections: 4 });
    const v = report.verification;
    expect(report.outcome).toBe("complete");
    expect(v.orderViolations).toEqual([]);
    expect(v.sendOrderReorderings).toEqual([
      expect.objectContaining({ id: "t-4", seq: 2, afterId: "t-8", afterSeq: 3 }),
      expect.objectContaining({ id: "t-9", seq: 3, afterId: "t-13", afterSeq: 4 }),
    ]);
    expect(report.counts).toMatchObject({ answered: 40, lost: 0, reorderedBeforeQueue: 2 });
    expect(v.ok).toBe(true);

    const strict = await burst(s.url, { count: 40, connections: 4, runId: "t", strictSendOrder: true });
    expect(strict.verification.sendOrderReorderings).toHaveLength(2);
    expect(strict.verification.ok).toBe(false);
  });

  test("aborting while results are held back stops at once and still reports what was sent", async () => {
    const s = await server({ paused: true });
    const abort = new AbortController();
    const report = await burst(s.url, {
      count: 50,
      connections: 2,
      signal: abort.signal,
      onEvent: (e) => {
        if (e.type === "sending-done") abort.abort();
      },
    });
    expect(report.outcome).toBe("interrupted");
    expect(report.counts.sent).toBe(50);
    expect(report.counts.answered).toBe(0);
    expect(s.received).toHaveLength(50);
  });

  test("a timeout ends the run with every unanswered message lost", async () => {
    const s = await server({ paused: true });
    const report = await burst(s.url, { count: 20, connections: 2, timeoutMs: 300 });
    expect(report.outcome).toBe("timeout");
    expect(report.verification.lost).toHaveLength(20);
  });

  test("a fixed rate is an open-model schedule: nothing is written before it is due", async () => {
    const s = await server();
    const report = await burst(s.url, { count: 30, connections: 3, rate: { kind: "fixed", perSecond: 300 } });
    expect(report.verification.ok).toBe(true);
    // The server's own clock: 30 messages at 300/s span at least 29/300 s.
    const times = s.received.map((r) => r.at);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(29 * (1000 / 300) - 2);
    // And from the client's own records: no message was handed to the socket before its slot.
    const raw = await runBurstRaw(burstOptions(s.url, { count: 30, connections: 3, rate: { kind: "fixed", perSecond: 300 }, runId: "u" }));
    expect(raw.sent.every((m) => m.sendCalledAt !== null && m.sendCalledAt >= m.dueAt)).toBe(true);
    expect(raw.sent.map((m) => m.dueAt)).toEqual(Array.from({ length: 30 }, (_, i) => i * (1000 / 300)));
  });

  test("a connection closed by the server is reported with its close code and meaning", async () => {
    const s = await server({ closeAfter: { frames: 3, code: 1011 } });
    const warnings: string[] = [];
    const report = await burst(s.url, {
      count: 20,
      connections: 1,
      rate: { kind: "fixed", perSecond: 200 },
      timeoutMs: 3000,
      onEvent: (e) => {
        if (e.type === "warning") warnings.push(e.message);
      },
    });
    expect(warnings).toEqual(["connection #0 closed by the server: 1011 (internal server error): test close"]);
    expect(report.errors.closes).toEqual([expect.objectContaining({ code: 1011, meaning: "internal server error" })]);
    expect(report.outcome).toBe("connections-lost");
    expect(report.verification.notSent.length).toBeGreaterThan(0);
    expect(report.counts.answered).toBe(3);
    expect(report.verification.ok).toBe(false);
  });

  test("connections refused with HTTP 429 are counted as throttled (the status carried as a typed field)", async () => {
    const s = await server({ refuseUpgrades: { after: 2, status: 429 } });
    const report = await burst(s.url, { count: 8, connections: 4, timeoutMs: 3000 });
    expect(report.errors.throttled).toBe(2);
    expect(report.errors.connectFailures).toHaveLength(2);
    expect(report.errors.connectFailures.every((failure) => /answered HTTP 429/.test(failure.message))).toBe(true);
  });

  test("nothing listening is a WsqError that names the cause", async () => {
    const s = await server();
    const url = s.url;
    await s.close();
    servers.splice(0);
    await expect(burst(url, { count: 1, connections: 2 })).rejects.toThrow(WsqError);
    await expect(burst(url, { count: 1, connections: 2 })).rejects.toThrow(/connection refused|Nothing is listening/);
  });
});

describe("runBurst with a real SQS FIFO queue in the middle (local cloud)", () => {
  test("depth grows while the consumer is stopped, then drains; peak depth is the whole burst", async (ctx) => {
    const cloud = await useTestCloud();
    const sqs = new SQSClient(sdkConfig(cloud));
    ctx.onTestFinished(() => sqs.destroy());
    let fake: Awaited<ReturnType<typeof createSqsFakeQueue>>;
    try {
      fake = await createSqsFakeQueue(sqs);
    } catch (error) {
      ctx.skip(`the local cloud's SQS cannot create a FIFO queue yet (${(error as Error).message})`);
      return;
    }
    const s = await server({ paused: true, queue: fake.queue });
    let resumed = false;
    const report = await burst(s.url, {
      count: 120,
      connections: 4,
      probe: sqsQueueProbe(sqs, fake.queueUrl),
      onEvent: (e) => {
        // Restart the "function" once the queue holds the whole burst.
        if (!resumed && e.type === "tick" && e.snapshot.queue && e.snapshot.queue.visible === 120) {
          resumed = true;
          s.resume();
        }
      },
    });
    expect(resumed).toBe(true);
    expect(report.verification.ok).toBe(true);
    expect(report.queue.peakDepth).toBe(120);
    expect(report.queue.peakVisible).toBe(120);
    const lastSample = report.queue.samples[report.queue.samples.length - 1]!;
    expect(lastSample.visible + lastSample.inFlight).toBe(0);
    expect(report.queue.queueEmptyAfterSendMs).not.toBeNull();
    // Queue wait comes from the real SQS round trip: every message waited while the consumer was stopped.
    expect(report.latency.queueWait.count).toBe(120);
  });
});

describe("runBurst ends early when the queue is empty and results stop", () => {
  test("messages consumed without a result are lost once the queue has read empty for the quiet window, long before --timeout", async (ctx) => {
    const cloud = await useTestCloud();
    const sqs = new SQSClient(sdkConfig(cloud));
    ctx.onTestFinished(() => sqs.destroy());
    let fake: Awaited<ReturnType<typeof createSqsFakeQueue>>;
    try {
      fake = await createSqsFakeQueue(sqs);
    } catch (error) {
      ctx.skip(`the local cloud's SQS cannot create a FIFO queue yet (${(error as Error).message})`);
      return;
    }
    const s = await server({ queue: fake.queue, drop: new Set(["t-3", "t-8"]) });
    const report = await burst(s.url, { count: 20, connections: 2, probe: sqsQueueProbe(sqs, fake.queueUrl), timeoutMs: 25_000 });
    expect(report.outcome).toBe("queue-empty");
    expect(report.verification.lost).toEqual(["t-3", "t-8"]);
    expect(report.counts.answered).toBe(18);
    // The decision rests on what was polled: the last samples read empty.
    const tail = report.queue.samples.slice(-3);
    expect(tail.every((q) => q.visible + q.inFlight + q.delayed === 0)).toBe(true);
  });
});
