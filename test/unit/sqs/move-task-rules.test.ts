// The pure rules of message move tasks: handles, the rate schedule, which messages a step moves.
import { describe, expect, it } from "vitest";
import {
  decodeTaskHandle,
  dueSlot,
  encodeTaskHandle,
  initialPlanState,
  parseArn,
  planMoves,
  resultEntry,
  slotQuota,
  type CandidateMessage,
  type MoveTaskRecord,
} from "../../../src/local/sqs/move-task-rules.js";

describe("task handles", () => {
  it("decode AWS's documented handle to its task id and source ARN, and round-trip our own", () => {
    // The handle of the API reference's StartMessageMoveTask example.
    const aws =
      "eyJ0YXNrSWQiOiJkYzE2OWUwNC0wZTU1LTQ0ZDItYWE5MC1jMDgwY2ExZjM2ZjciLCJzb3VyY2VBcm4iOiJhcm46YXdzOnNxczp1cy1lYXN0LTE6MTc3NzE1MjU3NDM2Ok15RGVhZExldHRlclF1ZXVlIn0=";
    expect(decodeTaskHandle(aws)).toEqual({
      taskId: "dc169e04-0e55-44d2-aa90-c080ca1f36f7",
      sourceArn: "arn:aws:sqs:us-east-1:177715257436:MyDeadLetterQueue",
    });
    const arn = "arn:aws:sqs:us-east-1:000000000000:dlq.fifo";
    expect(decodeTaskHandle(encodeTaskHandle("t-1", arn))).toEqual({ taskId: "t-1", sourceArn: arn });
  });

  it("refuse what is not a handle", () => {
    for (const bad of ["foobared", "", "!!!", Buffer.from("[1,2]").toString("base64"), Buffer.from('{"taskId":1}').toString("base64")]) {
      expect(decodeTaskHandle(bad)).toBeUndefined();
    }
  });

  it("ARNs need six parts, the region alone may be empty", () => {
    expect(parseArn("arn:aws:sqs:us-east-1:000000000000:q")).toEqual({ service: "sqs", region: "us-east-1", account: "000000000000", resource: "q" });
    expect(parseArn("invalid")).toBeUndefined();
    expect(parseArn("arn:aws:sqs:us-east-1:000000000000")).toBeUndefined();
    expect(parseArn("arn:aws:sqs:us-east-1::q")).toBeUndefined();
  });
});

describe("the rate schedule", () => {
  it("gives any ten consecutive 100 ms slots exactly the rate, whatever the rate", () => {
    for (const rate of [1, 3, 7, 10, 13, 25, 99, 250, 499, 500]) {
      for (let first = 0; first < 40; first++) {
        let sum = 0;
        for (let slot = first; slot < first + 10; slot++) sum += slotQuota(rate, slot);
        expect(sum, `rate ${rate} from slot ${first}`).toBe(rate);
      }
    }
    expect(slotQuota(500, 0)).toBe(50);
  });

  it("forfeits slots that passed unused instead of moving two shares at once", () => {
    // Slot 0 used; the next call comes 1.05 s after the origin: slot 10 is due, not 1-9 as well.
    expect(dueSlot(20, 0, 0, 1_050)).toEqual({ slot: 10, due: true, at: 1_000 });
    // Called again within the same slot: nothing is due until the next one.
    expect(dueSlot(20, 0, 10, 1_090)).toEqual({ slot: 11, due: false, at: 1_100 });
    // A rate under 10/s moves in its first slot, then skips the slots whose share is zero.
    expect(slotQuota(1, 0)).toBe(1);
    expect(dueSlot(1, 0, 0, 500)).toEqual({ slot: 10, due: false, at: 1_000 });
  });
});

function message(seq: number, group: string | null, options: { visibleAt?: number; expiresAt?: number } = {}): CandidateMessage {
  return { seq, group_id: group, visible_at: options.visibleAt ?? 0, expires_at: options.expiresAt ?? Infinity };
}

describe("which messages a step moves", () => {
  const now = 1_000;

  it("standard: moves visible messages oldest first; one in flight waits and holds the cursor back", () => {
    const rows = [message(1, null), message(2, null, { visibleAt: 5_000 }), message(3, null), message(4, null)];
    const { move, state } = planMoves(rows, initialPlanState(0, new Set()), { fifo: false, now, budget: 10 });
    expect(move.map((m) => m.seq)).toEqual([1, 3, 4]);
    expect(state).toMatchObject({ cursor: 1, wakeAt: 5_000, pending: true });
  });

  it("FIFO: nothing of a group moves past its message in flight, other groups go on, each in order", () => {
    const rows = [message(1, "a"), message(2, "b", { visibleAt: 5_000 }), message(3, "a"), message(4, "b"), message(5, "c")];
    const { move, state } = planMoves(rows, initialPlanState(0, new Set()), { fifo: true, now, budget: 10 });
    expect(move.map((m) => m.seq)).toEqual([1, 3, 5]);
    expect(state.blocked.has("b")).toBe(true);
    expect(state.cursor).toBe(1);
  });

  it("FIFO: a group already in flight in the source (a newer message received) moves nothing", () => {
    const rows = [message(1, "a"), message(2, "b")];
    const { move } = planMoves(rows, initialPlanState(0, new Set(["a"])), { fifo: true, now, budget: 10 });
    expect(move.map((m) => m.seq)).toEqual([2]);
  });

  it("keeps within the budget and says there is more; expired messages are passed over", () => {
    const rows = [message(1, null, { expiresAt: now }), message(2, null), message(3, null), message(4, null)];
    const { move, state } = planMoves(rows, initialPlanState(0, new Set()), { fifo: false, now, budget: 2 });
    expect(move.map((m) => m.seq)).toEqual([2, 3]);
    expect(state).toMatchObject({ cursor: 3, pending: true, wakeAt: undefined });
  });

  it("carries what it learnt from one page to the next", () => {
    const first = planMoves([message(1, "a", { visibleAt: 2_000 })], initialPlanState(0, new Set()), { fifo: true, now, budget: 10 });
    const second = planMoves([message(2, "a"), message(3, "b")], first.state, { fifo: true, now, budget: 10 });
    expect(second.move.map((m) => m.seq)).toEqual([3]);
    expect(second.state).toMatchObject({ cursor: 0, wakeAt: 2_000, contiguous: false });
  });
});

describe("ListMessageMoveTasks entries", () => {
  const task: MoveTaskRecord = {
    task_id: "t",
    source_arn: "arn:aws:sqs:us-east-1:000000000000:dlq",
    destination_arn: null,
    rate: null,
    status: "RUNNING",
    moved: 2,
    to_move: 5,
    started_at: 1_700_000_000_000,
    failure_reason: null,
  };

  it("carry the handle only while RUNNING, and leave out what the start did not set", () => {
    expect(resultEntry(task)).toEqual({
      Status: "RUNNING",
      SourceArn: task.source_arn,
      ApproximateNumberOfMessagesMoved: 2,
      ApproximateNumberOfMessagesToMove: 5,
      StartedTimestamp: 1_700_000_000_000,
      TaskHandle: encodeTaskHandle("t", task.source_arn),
    });
    const done = resultEntry({ ...task, status: "COMPLETED", destination_arn: "arn:aws:sqs:us-east-1:000000000000:q", rate: 10 });
    expect(done).not.toHaveProperty("TaskHandle");
    expect(done).toMatchObject({ DestinationArn: "arn:aws:sqs:us-east-1:000000000000:q", MaxNumberOfMessagesPerSecond: 10 });
    expect(resultEntry({ ...task, status: "FAILED", failure_reason: "AWS.SimpleQueueService.NonExistentQueue" })).toMatchObject({
      FailureReason: "AWS.SimpleQueueService.NonExistentQueue",
    });
  });
});
