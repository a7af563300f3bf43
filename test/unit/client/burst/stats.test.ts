import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { computeReport, latencyHistogram, latencyStats, queueFigures, ratePerSecond, timeline, verify } from "../../../../src/client/burst/stats.js";
import { planBurst, type Rate } from "../../../../src/client/burst/plan.js";
import type { BurstConfig, BurstRawRun, QueueSample, ReceivedRecord, SentRecord } from "../../../../src/client/burst/types.js";
import type { PatternResult } from "../../../../src/shared/pattern-messages.js";

function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Sent records for a plan, each written `writeDelay(i)` ms after it was due. */
function sentFor(count: number, groups: number, connections: number, rate: Rate, writeDelay: (i: number) => number = () => 0): SentRecord[] {
  return planBurst({ count, connections, groups, rate, size: 0, runId: "t" }).messages.map((m) => ({
    id: m.id,
    group: m.group,
    seq: m.seq,
    connection: m.connection,
    dueAt: m.dueMs,
    sendCalledAt: m.dueMs + writeDelay(m.index),
    writtenAt: m.dueMs + writeDelay(m.index),
    sendError: null,
  }));
}

function result(s: SentRecord, overrides: Partial<PatternResult> = {}): PatternResult {
  return {
    type: "result",
    id: s.id,
    seq: s.seq,
    messageId: `m-${s.id}`,
    group: s.group,
    // Queued in send order unless a test says otherwise: message t-N got the N-th sequence number.
    sequenceNumber: String(18_849_496_460_467_696_128n + BigInt(s.id.slice(s.id.lastIndexOf("-") + 1)) * 7n),
    receiveCount: 1,
    connectionId: `conn${s.connection}`,
    requestId: "r",
    queueWaitMs: 0,
    processedAt: 0,
    data: null,
    ...overrides,
  };
}

/** Each message answered `latency(i)` ms after it was written, on its own connection. */
function answered(sent: SentRecord[], latency: (i: number) => number, queueWait: (i: number) => number = () => 0): ReceivedRecord[] {
  return sent
    .map((s, i) => ({ at: s.writtenAt! + latency(i), connection: s.connection, result: result(s, { queueWaitMs: queueWait(i) }) }))
    .sort((a, b) => a.at - b.at);
}

function config(count: number, rate: Rate = { kind: "max" }): BurstConfig {
  return {
    runId: "t",
    url: "ws://127.0.0.1:1/p",
    queueUrl: null,
    deadLetterQueueUrl: null,
    count,
    connections: 1,
    activeConnections: 1,
    groups: 1,
    rate,
    size: 0,
    timeoutMs: 60_000,
    pollIntervalMs: 250,
  };
}

function raw(sent: SentRecord[], received: ReceivedRecord[], extra: Partial<BurstRawRun> = {}): BurstRawRun {
  const endedAt = Math.max(0, ...received.map((r) => r.at), ...sent.map((s) => s.writtenAt ?? 0));
  return {
    config: config(sent.length),
    startedAtEpochMs: 1_700_000_000_000,
    connectMs: 5,
    endedAt,
    sendEndedAt: Math.max(...sent.map((s) => s.writtenAt ?? 0)),
    outcome: "complete",
    sent,
    received,
    samples: [],
    errors: { connectFailures: [], throttled: 0, errorFrames: [], closes: [], sendErrors: 0, otherFrames: 0, queuePollErrors: [] },
    dlq: null,
    ...extra,
  };
}

describe("latencyStats", () => {
  test("HDR percentiles match exact nearest-rank percentiles within the histogram's 0.1% precision", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 400 }), (values) => {
        const stats = latencyStats(values);
        expect(stats.count).toBe(values.length);
        for (const [p, got] of [
          [50, stats.p50],
          [90, stats.p90],
          [99, stats.p99],
          [99.9, stats.p999],
        ] as const) {
          const exact = exactPercentile(values, p);
          expect(Math.abs(got! - exact)).toBeLessThanOrEqual(exact * 0.002 + 0.011);
        }
        expect(stats.max).toBeCloseTo(Math.max(...values), 1);
        expect(stats.min).toBeCloseTo(Math.min(...values), 1);
      }),
      { numRuns: 60 },
    );
  });

  test("no samples give nulls, not zeros", () => {
    expect(latencyStats([])).toEqual({ count: 0, min: null, mean: null, p50: null, p90: null, p99: null, p999: null, max: null });
  });
});

describe("coordinated omission", () => {
  test("latency counts from the scheduled send, so a client stalled by the server cannot hide the stall", () => {
    // 100 messages at 100/s; the server stalls for 1 s at message 50 and a closed-loop client
    // would have written messages 50..59 only after the stall: each is written late and answered
    // 1 ms after its write. From-write latency sees 1 ms; end-to-end from the schedule sees the stall.
    const writeDelay = (i: number) => (i >= 50 && i < 60 ? 1000 - (i - 50) * 10 : 0);
    const sent = sentFor(100, 1, 1, { kind: "fixed", perSecond: 100 }, writeDelay);
    const report = computeReport({
      ...raw(
        sent,
        answered(sent, () => 1),
      ),
      config: config(100, { kind: "fixed", perSecond: 100 }),
    });
    expect(report.latency.fromWrite.max).toBeCloseTo(1, 1);
    expect(report.latency.endToEnd.max).toBeCloseTo(1001, 0);
    expect(report.latency.endToEnd.p99).toBeGreaterThan(900);
    expect(report.latency.fromWrite.p99).toBeCloseTo(1, 1);
    expect(report.latency.clientDelay.max).toBeCloseTo(1000, 0);
  });
});

describe("verify", () => {
  const sent = sentFor(12, 3, 3, { kind: "max" });
  const clean = answered(sent, (i) => 1 + i);

  test("a clean run passes", () => {
    const v = verify(sent, clean);
    expect(v.ok).toBe(true);
    expect([v.lost, v.duplicated, v.orderViolations, v.misrouted, v.connectionIdConflicts, v.unexpected]).toEqual([[], [], [], [], [], []]);
  });

  test("a message without a result is lost, by id; one found in the DLQ is dead-lettered, not lost, and fails the run when nothing directed it", () => {
    const v = verify(
      sent,
      clean.filter((r) => r.result.id !== "t-4" && r.result.id !== "t-7"),
      new Set(["t-7"]),
    );
    expect(v.ok).toBe(false);
    expect(v.lost).toEqual(["t-4"]);
    expect(v.deadLettered).toEqual(["t-7"]);
    expect(v.lostInDlq).toEqual(["t-7"]);
    expect(v.deadLetteredUnexpected).toEqual(["t-7"]);
  });

  test("a message directed to fail always, and one sharing its group's batches, are dead-lettered as expected; a fail-once retry is retried, not duplicated", () => {
    const t7 = sent.find((s) => s.id === "t-7")!;
    const sameGroup = sent.find((s) => s.group === t7.group && s.id !== "t-7")!;
    const otherGroup = sent.find((s) => s.group !== t7.group)!;
    const retriedResult = clean.find((r) => r.result.id === otherGroup.id)!;
    const received = clean
      .filter((r) => r.result.id !== t7.id && r.result.id !== sameGroup.id)
      .map((r) => (r === retriedResult ? { ...r, result: { ...r.result, receiveCount: 2 } } : r));
    const v = verify(sent, received, new Set([t7.id, sameGroup.id]), [], { failAlways: [t7.id], failOnce: [otherGroup.id] });
    expect(v.lost).toEqual([]);
    expect(v.deadLettered?.sort()).toEqual([t7.id, sameGroup.id].sort());
    expect(v.deadLetteredUnexpected).toEqual([]);
    expect([v.retried, v.retriedDirected, v.duplicated.length]).toEqual([1, 1, 0]);
    expect(v.ok).toBe(true);
  });

  test("when the DLQ inspection was partial, unanswered messages of a group that filled its page are taken as hidden there", () => {
    const many: SentRecord[] = Array.from({ length: 12 }, (_, i) => ({
      id: `h-${i}`,
      group: "hg",
      seq: i + 1,
      connection: 0,
      dueAt: 0,
      sendCalledAt: 0,
      writtenAt: 1,
      sendError: null,
    }));
    const found = new Set(many.slice(0, 10).map((s) => s.id));
    const partial = verify(many, [], found, [], { failAlways: ["h-0"], dlqPartial: true });
    expect(partial.dlqHidden).toEqual(["h-10", "h-11"]);
    expect(partial.lost).toEqual([]);
    expect(partial.ok).toBe(true);
    const complete = verify(many, [], found, [], { failAlways: ["h-0"], dlqPartial: false });
    expect(complete.lost).toEqual(["h-10", "h-11"]);
  });

  test("lost messages written on a connection that closed early are named apart: their results had nowhere to go", () => {
    const t4 = sent.find((s) => s.id === "t-4")!;
    const t5 = sent.find((s) => s.id === "t-5")!;
    expect(t4.connection).not.toBe(t5.connection);
    const close = { connection: t4.connection, at: 5, code: 1006, reason: "", meaning: "abnormal closure" };
    const v = verify(
      sent,
      clean.filter((r) => r.result.id !== "t-4" && r.result.id !== "t-5"),
      new Set(),
      [close],
    );
    expect(v.ok).toBe(false);
    expect(v.lost).toEqual(["t-4", "t-5"]);
    expect(v.lostOnClosed).toEqual(["t-4"]);
    // Answered messages on that connection are not affected.
    expect(verify(sent, clean, new Set(), [close]).lostOnClosed).toEqual([]);
  });

  test("a second result for an id is a duplicate, counted, and not an order violation", () => {
    const dup = { ...clean[2]!, at: 999 };
    const v = verify(sent, [...clean, dup]);
    expect(v.duplicated).toEqual([{ id: dup.result.id, count: 2 }]);
    expect(v.orderViolations).toEqual([]);
    expect(v.ok).toBe(false);
  });

  test("a result that arrives before one the queue holds ahead of it is an order violation; other groups are unaffected", () => {
    // Group 0 holds t-0, t-3, t-6, t-9 (seq 1..4), queued in that order: deliver t-6 before t-3.
    const reordered = [...clean];
    const i3 = reordered.findIndex((r) => r.result.id === "t-3");
    const i6 = reordered.findIndex((r) => r.result.id === "t-6");
    [reordered[i3], reordered[i6]] = [reordered[i6]!, reordered[i3]!];
    const v = verify(sent, reordered);
    expect(v.orderViolations).toEqual([
      {
        group: sent[0]!.group,
        id: "t-3",
        seq: 2,
        sequenceNumber: reordered[i6].result.sequenceNumber,
        afterId: "t-6",
        afterSeq: 3,
        afterSequenceNumber: reordered[i3].result.sequenceNumber,
      },
    ]);
    expect(v.sendOrderReorderings).toEqual([]);
    expect(v.ok).toBe(false);
  });

  test("messages that reached the queue out of send order, answered in the queue's order, are counted apart and pass", () => {
    // t-3 and t-6 reached the queue swapped (t-6 got the lower sequence number), and were answered
    // in the queue's order: the pattern kept its promise.
    const swapped = clean.map((r) => {
      if (r.result.id === "t-3") return { ...r, result: { ...r.result, sequenceNumber: clean.find((x) => x.result.id === "t-6")!.result.sequenceNumber } };
      if (r.result.id === "t-6") return { ...r, result: { ...r.result, sequenceNumber: clean.find((x) => x.result.id === "t-3")!.result.sequenceNumber } };
      return r;
    });
    const answeredInQueueOrder = [...swapped].sort((a, b) => (BigInt(a.result.sequenceNumber!) < BigInt(b.result.sequenceNumber!) ? -1 : 1));
    const v = verify(sent, answeredInQueueOrder);
    expect(v.orderViolations).toEqual([]);
    expect(v.sendOrderReorderings).toEqual([{ group: sent[0]!.group, id: "t-3", seq: 2, afterId: "t-6", afterSeq: 3 }]);
    expect(v.ok).toBe(true);
    // --strict-send-order makes it a failure.
    const strict = verify(sent, answeredInQueueOrder, new Set(), [], { strictSendOrder: true });
    expect(strict.strictSendOrder).toBe(true);
    expect(strict.ok).toBe(false);
    // Answered in send order instead, the same queue order is a violation of the pattern's promise.
    expect(verify(sent, swapped).orderViolations.map((o) => o.id)).toEqual(["t-6"]);
  });

  test("results of one group on two connections are each checked in their own connection's order", () => {
    // t-3 is answered on another connection: misrouted, and left out of the arrival order check.
    const moved = clean.map((r) => (r.result.id === "t-3" ? { ...r, connection: 2, at: 10_000 } : r));
    const v = verify(sent, moved);
    expect(v.misrouted.map((m) => m.id)).toEqual(["t-3"]);
    expect(v.orderViolations).toEqual([]);
  });

  test("results without a sequence number (not a FIFO queue) are counted, not ordered", () => {
    const standard = clean.map((r) => ({ ...r, result: { ...r.result, sequenceNumber: null } }));
    const v = verify(sent, [...standard].reverse());
    expect(v.unsequenced).toBe(12);
    expect(v.orderViolations).toEqual([]);
    expect(v.sendOrderReorderings).toEqual([]);
  });

  test("messages answered by API Gateway's error frames are throttled or refused, not lost", () => {
    // Connection 1 sent t-1, t-4, t-7, t-10. t-4 and t-10 got error frames: one integration failure
    // (the queue's throttling), one stage throttle; t-7 got nothing at all.
    const missing = new Set(["t-4", "t-7", "t-10"]);
    const t4 = sent.find((s) => s.id === "t-4")!;
    const errorFrames = [
      { connection: 1, at: t4.writtenAt! + 1, message: "Internal server error" },
      { connection: 1, at: t4.writtenAt! + 2, message: "Too Many Requests" },
      // A frame on a connection with nothing unanswered ties to nothing.
      { connection: 0, at: 50, message: "Internal server error" },
    ];
    const v = verify(
      sent,
      clean.filter((r) => !missing.has(r.result.id!)),
      new Set(),
      [],
      { errorFrames },
    );
    // Tied by time: each frame to the earliest unanswered message of its connection sent before it.
    expect(v.throttled).toEqual({ queue: ["t-4"], stage: ["t-7"] });
    expect(v.lost).toEqual(["t-10"]);
    expect(v.refused).toEqual([]);
    expect(v.ok).toBe(false);
    // Any other error frame is a refusal.
    const forbidden = verify(
      sent,
      clean.filter((r) => r.result.id !== "t-4"),
      new Set(),
      [],
      {
        errorFrames: [{ connection: 1, at: t4.writtenAt! + 1, message: "Forbidden" }],
      },
    );
    expect([forbidden.refused, forbidden.lost, forbidden.throttled]).toEqual([["t-4"], [], { queue: [], stage: [] }]);
  });

  test("an error frame is never tied to a message sent after it arrived", () => {
    const t10 = sent.find((s) => s.id === "t-10")!;
    const v = verify(
      sent,
      clean.filter((r) => r.result.id !== "t-10"),
      new Set(),
      [],
      { errorFrames: [{ connection: 1, at: t10.sendCalledAt! - 1, message: "Internal server error" }] },
    );
    expect(v.lost).toEqual(["t-10"]);
    expect(v.throttled.queue).toEqual([]);
  });

  test("a result on the wrong connection is misrouted; a connection whose results name two connectionIds conflicts", () => {
    const moved = clean.map((r) => (r.result.id === "t-1" ? { ...r, connection: 2 } : r));
    expect(verify(sent, moved).misrouted).toEqual([{ id: "t-1", sentOn: 1, arrivedOn: 2 }]);
    const renamed = clean.map((r) => (r.result.id === "t-4" ? { ...r, result: { ...r.result, connectionId: "other" } } : r));
    const v = verify(sent, renamed);
    expect(v.connectionIdConflicts).toEqual([{ connection: 1, connectionIds: ["conn1", "other"] }]);
    expect(v.ok).toBe(false);
    const shared = clean.map((r) => (r.connection === 2 ? { ...r, result: { ...r.result, connectionId: "conn1" } } : r));
    expect(verify(sent, shared).connectionIdConflicts.map((c) => c.connection)).toEqual([2]);
  });

  test("results for messages this run did not send are set aside, not counted as answers", () => {
    const stranger = { at: 1, connection: 0, result: { ...clean[0]!.result, id: "someone-else", messageId: "x" } };
    const v = verify(sent, [...clean, stranger]);
    expect(v.ok).toBe(true);
    expect(v.unexpected).toEqual([{ id: "someone-else", messageId: "x" }]);
  });

  test("a message never written (its connection failed) is not lost but not sent", () => {
    const failed = sent.map((s) => (s.id === "t-5" ? { ...s, writtenAt: null, sendError: "connection not open" } : s));
    const v = verify(
      failed,
      clean.filter((r) => r.result.id !== "t-5"),
    );
    expect(v.lost).toEqual([]);
    expect(v.notSent).toEqual(["t-5"]);
    expect(v.ok).toBe(false);
  });

  test("retries are counted from receiveCount", () => {
    const retried = clean.map((r, i) => (i < 2 ? { ...r, result: { ...r.result, receiveCount: 3 } } : r));
    expect(verify(sent, retried).retried).toBe(2);
  });
});

describe("rates, drain and the queue", () => {
  test("rates are events per second between the first and last event", () => {
    expect(ratePerSecond([0, 10, 20, 30, 40])).toBe(100);
    expect(ratePerSecond([5])).toBeNull();
    expect(ratePerSecond([3, 3])).toBeNull();
  });

  test("drain is the last result minus the last write; the report's counts match what was sent", () => {
    const sent = sentFor(100, 10, 10, { kind: "max" }, (i) => i * 0.1); // written over ~10 ms
    const received = answered(
      sent,
      (i) => 50 + i,
      (i) => 40 + i / 2,
    );
    const report = computeReport(raw(sent, received));
    const lastWrite = Math.max(...sent.map((s) => s.writtenAt!));
    const lastResult = Math.max(...received.map((r) => r.at));
    expect(report.queue.drainMs).toBeCloseTo(lastResult - lastWrite, 1);
    expect(report.counts).toEqual({
      planned: 100,
      sent: 100,
      answered: 100,
      results: 100,
      lost: 0,
      deadLettered: 0,
      duplicated: 0,
      throttled: 0,
      refused: 0,
      reorderedBeforeQueue: 0,
    });
    expect(report.rates.sendPerSecond).toBeCloseTo(99 / (lastWrite / 1000), -1);
    expect(report.latency.queueWait.max).toBeCloseTo(89.5, 1);
    // outside the queue = written → result minus queue wait = (50 + i) − (40 + i/2)
    expect(report.latency.outsideQueue.min).toBeCloseTo(10, 1);
    expect(report.latency.outsideQueue.max).toBeCloseTo(59.5, 1);
    expect(report.verification.ok).toBe(true);
  });

  test("drain is unknown while messages are lost", () => {
    const sent = sentFor(10, 1, 1, { kind: "max" });
    expect(computeReport(raw(sent, answered(sent, () => 1).slice(0, 9))).queue.drainMs).toBeNull();
  });

  test("peak depth counts visible plus in flight; the queue reads empty after sending ends", () => {
    const samples: QueueSample[] = [
      { at: 0, visible: 0, inFlight: 0, delayed: 0 },
      { at: 250, visible: 300, inFlight: 10, delayed: 0 },
      { at: 500, visible: 320, inFlight: 10, delayed: 0 },
      { at: 750, visible: 100, inFlight: 10, delayed: 0 },
      { at: 1000, visible: 0, inFlight: 0, delayed: 0 },
    ];
    expect(queueFigures(samples, 400)).toEqual({ peakDepth: 330, peakVisible: 320, peakInFlight: 10, peakAt: 500, queueEmptyAfterSendMs: 600 });
    expect(queueFigures([], 400).peakDepth).toBeNull();
  });

  test("the timeline's cumulative counts end at the totals and its rates add up to them", () => {
    const writes = Array.from({ length: 1000 }, (_, i) => i);
    const results = writes.map((t) => t + 200);
    const points = timeline(writes, results, 1200);
    const last = points[points.length - 1]!;
    expect(last.sent).toBe(1000);
    expect(last.received).toBe(1000);
    expect(last.clientInFlight).toBe(0);
    expect(points.every((p, i) => i === 0 || p.sent >= points[i - 1]!.sent)).toBe(true);
    const peakInFlight = Math.max(...points.map((p) => p.clientInFlight));
    expect(peakInFlight).toBeGreaterThanOrEqual(195);
    expect(peakInFlight).toBeLessThanOrEqual(201);
  });

  test("the latency histogram's bins hold every sample", () => {
    const samples = [0.05, 0.5, 1, 2, 5, 10, 100, 1000, 1000];
    const bins = latencyHistogram(samples);
    expect(bins.reduce((n, b) => n + b.count, 0)).toBe(samples.length);
    for (let i = 1; i < bins.length; i++) expect(bins[i]!.from).toBeCloseTo(bins[i - 1]!.to, 2);
  });
});

describe("verify, against a model (fast-check)", () => {
  /** An arbitrary interleaving of the groups' results that keeps each group in seq order. */
  const interleaving = (groupsCount: number, perGroup: number) =>
    fc.array(fc.integer({ min: 0, max: groupsCount - 1 }), { minLength: groupsCount * perGroup * 2, maxLength: groupsCount * perGroup * 2 }).map((picks) => {
      const next = new Array<number>(groupsCount).fill(0);
      const order: number[] = [];
      for (const g of picks) if (next[g]! < perGroup) order.push(g * perGroup + next[g]!++);
      for (let g = 0; g < groupsCount; g++) while (next[g]! < perGroup) order.push(g * perGroup + next[g]!++);
      return order; // indexes into "group-major" numbering
    });

  test("in-order interleavings with drops and duplicates: exactly those are reported, never an order violation", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 8 }), fc.integer(), (groupsCount, perGroup, seed) => {
        const count = groupsCount * perGroup;
        const sent = sentFor(count, groupsCount, groupsCount, { kind: "max" });
        // group-major index k → the message that is the (k % perGroup + 1)-th of group k / perGroup
        const byGroupSeq = new Map(sent.map((s) => [`${s.group}#${s.seq}`, s]));
        const groupNames = [...new Set(sent.map((s) => s.group))];
        return fc.assert(
          fc.property(interleaving(groupsCount, perGroup), fc.array(fc.nat(count - 1)), fc.array(fc.nat(count - 1)), (order, dropsRaw, dupsRaw) => {
            const drops = new Set(dropsRaw);
            const dups = new Set(dupsRaw.filter((k) => !drops.has(k)));
            const received: ReceivedRecord[] = [];
            let t = 0;
            for (const k of order) {
              if (drops.has(k)) continue;
              const s = byGroupSeq.get(`${groupNames[Math.floor(k / perGroup)]}#${(k % perGroup) + 1}`)!;
              received.push({ at: ++t, connection: s.connection, result: result(s) });
              if (dups.has(k)) received.push({ at: ++t, connection: s.connection, result: result(s, { receiveCount: 2 }) });
            }
            const v = verify(sent, received);
            expect(v.orderViolations).toEqual([]);
            expect(v.lost).toHaveLength(drops.size);
            expect(v.duplicated).toHaveLength(dups.size);
            expect(v.ok).toBe(drops.size === 0 && dups.size === 0);
          }),
          { numRuns: 15, seed },
        );
      }),
      { numRuns: 20 },
    );
  });

  test("swapping two results of one group is always caught as a violation", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 10 }), fc.nat(), fc.nat(), (perGroup, a, b) => {
        const sent = sentFor(perGroup * 2, 2, 2, { kind: "max" });
        const group0 = sent.filter((s) => s.group === sent[0]!.group);
        const i = a % perGroup;
        const j = b % perGroup;
        fc.pre(i !== j);
        const order = [...group0];
        [order[i], order[j]] = [order[j]!, order[i]!];
        const received = order.map((s, k) => ({ at: k, connection: s.connection, result: result(s) }));
        const v = verify(group0, received);
        expect(v.orderViolations.length).toBeGreaterThan(0);
        expect(v.ok).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});
