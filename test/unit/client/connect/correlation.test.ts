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

  it("marks a result out of order when a later seq of the same group was answered first, per group only", () => {
    const c = new Correlator();
    send(c, "a-1", "g1", 1, 0);
    send(c, "a-2", "g1", 2, 0);
    send(c, "b-1", "g2", 1, 0);
    expect(c.matchResult(result({ id: "a-2", seq: 2, group: "g1" }), 1).outOfOrder).toBe(false);
    expect(c.matchResult(result({ id: "b-1", seq: 1, group: "g2" }), 1).outOfOrder).toBe(false);
    expect(c.matchResult(result({ id: "a-1", seq: 1, group: "g1" }), 1).outOfOrder).toBe(true);
    expect(c.stats().outOfOrder).toBe(1);
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

  it("ties an error frame only when exactly one message is pending on that connection", () => {
    const c = new Correlator();
    const only = send(c, "a-1", "g1", 1, 0);
    expect(c.matchError({ message: "Internal server error" }, 1)).toBe(only);
    expect(only.status).toBe("failed");
    send(c, "a-2", "g1", 2, 0);
    send(c, "a-3", "g1", 3, 0);
    expect(c.matchError({ message: "Internal server error" }, 1)).toBeUndefined();
    // One untied error accounts for one of the two pending messages, not both.
    expect(c.settled()).toBe(false);
    c.matchResult(result({ id: "a-2", seq: 2 }), 1);
    expect(c.settled()).toBe(true);
    expect(c.stats()).toMatchObject({ failed: 1, errorFrames: 2 });
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
