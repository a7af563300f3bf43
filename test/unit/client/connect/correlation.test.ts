import { describe, expect, it } from "vitest";
import { Correlator, type SentMessage } from "../../../../src/client/connect/correlation.js";
import type { PatternResult } from "../../../../src/shared/pattern-messages.js";

function result(fields: Partial<PatternResult>): PatternResult {
  return {
    type: "result",
    id: null,
    seq: null,
    messageId: "m",
    group: "g1",
    sequenceNumber: "1",
    receiveCount: 1,
    connectionId: "conn=",
    requestId: "req=",
    queueWaitMs: 5,
    processedAt: 0,
    data: "x",
    ...fields,
  };
}

function send(c: Correlator, id: string | null, group: string | null, seq: number | null, sentAtMs: number, connection = 1): SentMessage {
  return c.track({ id, group, seq, frame: "{}", sentAtMs, connection });
}

describe("Correlator", () => {
  it("ties a result to its message by id and measures the round trip from the send", () => {
    const c = new Correlator();
    send(c, "a-1", "g1", 1, 100);
    const second = send(c, "a-2", "g1", 2, 110);
    const match = c.matchResult(result({ id: "a-2", seq: 2 }), 150);
    expect(match.message).toBe(second);
    expect(match.correlatedBy).toBe("id");
    expect(match.rttMs).toBe(40);
    expect(second.status).toBe("answered");
    expect(c.stats()).toMatchObject({ sent: 2, answered: 1, pending: 1 });
  });

  it("marks a result out of order when one the queue holds after it (a higher sequence number) arrived first, per group and connection", () => {
    const c = new Correlator();
    send(c, "a-1", "g1", 1, 0);
    send(c, "a-2", "g1", 2, 0);
    send(c, "b-1", "g2", 1, 0);
    expect(c.matchResult(result({ id: "a-2", seq: 2, group: "g1", sequenceNumber: "20" }), 1, 1).outOfOrder).toBe(false);
    expect(c.matchResult(result({ id: "b-1", seq: 1, group: "g2", sequenceNumber: "5" }), 1, 1).outOfOrder).toBe(false);
    const late = c.matchResult(result({ id: "a-1", seq: 1, group: "g1", sequenceNumber: "10" }), 1, 1);
    expect(late).toMatchObject({ outOfOrder: true, overtakenBySeq: 2, reorderedBeforeQueue: false });
    expect(c.stats()).toMatchObject({ outOfOrder: 1, reorderedBeforeQueue: 0 });
  });

  it("notes a message queued after one of its group sent later, answered in the queue's order, as reordered before the queue: information, not a violation", () => {
    const c = new Correlator();
    send(c, "a-1", "g1", 1, 0);
    send(c, "a-2", "g1", 2, 0);
    send(c, "a-3", "g1", 3, 0);
    // The queue got a-2 first: a-2 < a-1 < a-3 by sequence number, and the results came in that order.
    expect(c.matchResult(result({ id: "a-2", seq: 2, sequenceNumber: "18849496460467696128" }), 1, 1)).toMatchObject({
      outOfOrder: false,
      reorderedBeforeQueue: false,
    });
    expect(c.matchResult(result({ id: "a-1", seq: 1, sequenceNumber: "18849496460467696135" }), 1, 1)).toMatchObject({
      outOfOrder: false,
      reorderedBeforeQueue: true,
      queuedAfterSeq: 2,
    });
    expect(c.matchResult(result({ id: "a-3", seq: 3, sequenceNumber: "18849496460467696142" }), 1, 1)).toMatchObject({
      outOfOrder: false,
      reorderedBeforeQueue: false,
    });
    expect(c.stats()).toMatchObject({ outOfOrder: 0, reorderedBeforeQueue: 1, answered: 3 });
  });

  it("compares results of one group that arrive on different connections only within each connection", () => {
    const c = new Correlator();
    send(c, "a-1", "g1", 1, 0, 1);
    send(c, "a-2", "g1", 2, 0, 2);
    // After a reconnect the group continues on connection 2; its result races connection 1's.
    expect(c.matchResult(result({ id: "a-2", seq: 2, sequenceNumber: "20" }), 1, 2).outOfOrder).toBe(false);
    expect(c.matchResult(result({ id: "a-1", seq: 1, sequenceNumber: "10" }), 1, 1).outOfOrder).toBe(false);
  });

  it("flags a second result for the same message as a duplicate and does not count its round trip", () => {
    const c = new Correlator();
    send(c, "a-1", "g1", 1, 0);
    expect(c.matchResult(result({ id: "a-1", seq: 1 }), 10).duplicate).toBe(false);
    const again = c.matchResult(result({ id: "a-1", seq: 1, receiveCount: 2 }), 20);
    expect(again.duplicate).toBe(true);
    expect(again.rttMs).toBeNull();
    expect(again.outOfOrder).toBe(false);
    expect(c.stats()).toMatchObject({ answered: 1, duplicates: 1 });
    expect(c.stats().roundTrip.count).toBe(1);
  });

  it("matches id-less results to the oldest id-less message of their group (FIFO), or of the connection", () => {
    const c = new Correlator();
    const first = send(c, null, "g9", null, 0);
    const second = send(c, null, "g9", null, 0);
    const noGroup = send(c, null, null, null, 0);
    expect(c.matchResult(result({ group: "g9" }), 5).message).toBe(first);
    expect(c.matchResult(result({ group: "conn=", connectionId: "conn=" }), 5).message).toBe(noGroup);
    const last = c.matchResult(result({ group: "g9" }), 5);
    expect(last.message).toBe(second);
    expect(last.correlatedBy).toBe("group-order");
  });

  it("reports a result for an id it never sent as untied", () => {
    const c = new Correlator();
    const match = c.matchResult(result({ id: "someone-else" }), 1);
    expect(match.message).toBeUndefined();
    expect(match.correlatedBy).toBe("none");
  });

  it("ties an error frame at once only when exactly one message is pending on that connection, and shows it as throttled", () => {
    const c = new Correlator();
    const only = send(c, "a-1", "g1", 1, 0);
    expect(c.matchError({ message: "Internal server error" }, 1)).toBe(only);
    // wsq's own envelope is always accepted by SQS: an integration failure on it is the queue's throttling.
    expect(only).toMatchObject({ status: "throttled", refusal: "queue-throttle" });
    send(c, "a-2", "g1", 2, 0);
    send(c, "a-3", "g1", 3, 0);
    expect(c.matchError({ message: "Internal server error" }, 1)).toBeUndefined();
    // One untied error accounts for one of the two pending messages, not both.
    expect(c.settled()).toBe(false);
    c.matchResult(result({ id: "a-3", seq: 3, sequenceNumber: "30" }), 1, 1);
    expect(c.settled()).toBe(true);
    // At the end the untied frame goes to the oldest unanswered message of its connection.
    const left = c.giveUp();
    expect(left.map((m) => [m.id, m.status, m.refusal])).toEqual([["a-2", "throttled", "queue-throttle"]]);
    expect(c.stats()).toMatchObject({ throttled: 2, failed: 0, unanswered: 0, errorFrames: 2 });
  });

  it("tells API Gateway's own throttling, and a frame SQS refuses, from the queue's throttling", () => {
    const c = new Correlator();
    const stage = send(c, "a-1", "g1", 1, 0);
    c.matchError({ message: "Too Many Requests" }, 1);
    expect(stage).toMatchObject({ status: "throttled", refusal: "stage-throttle" });
    const badGroup = c.track({ id: null, group: "has space", seq: null, frame: "{}", sentAtMs: 0, connection: 1, queueable: false });
    c.matchError({ message: "Internal server error" }, 1);
    expect(badGroup).toMatchObject({ status: "failed", refusal: "refused" });
    expect(c.stats()).toMatchObject({ throttled: 1, failed: 1 });
  });

  it("orphans the pending messages of a closed connection and leaves the new one's alone", () => {
    const c = new Correlator();
    send(c, "a-1", "g1", 1, 0, 1);
    send(c, "a-2", "g1", 2, 0, 2);
    const lost = c.orphan(1);
    expect(lost.map((m) => m.id)).toEqual(["a-1"]);
    expect(c.pending().map((m) => m.id)).toEqual(["a-2"]);
    expect(c.giveUp().map((m) => m.id)).toEqual(["a-2"]);
    expect(c.stats()).toMatchObject({ orphaned: 1, unanswered: 1, pending: 0 });
  });

  it("computes exact p50 and p99 over the stored round trips", () => {
    const c = new Correlator();
    for (let i = 1; i <= 100; i += 1) send(c, `a-${i}`, "g1", i, 0);
    for (let i = 1; i <= 100; i += 1) c.matchResult(result({ id: `a-${i}`, seq: i }), i);
    expect(c.stats().roundTrip).toEqual({ count: 100, p50Ms: 50, p99Ms: 99, maxMs: 100 });
  });
});
