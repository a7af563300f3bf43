import type { ConsumerDirectives } from "../../shared/pattern-messages.js";
import {
  apiErrorKind,
  compareSequenceNumbers,
  isSequenceNumber,
  type ApiErrorFrame,
  type ApiErrorKind,
  type PatternResult,
} from "../../shared/pattern-messages.js";
import { summarizeLatencies, type LatencySummary } from "../common/percentiles.js";

/**
 * failed: API Gateway refused it with an error frame that names no throttling (or the frame was one
 * SQS refuses: an invalid MessageGroupId). throttled: refused by throttling, at the queue's door
 * (SQS's FIFO quota; the integration failed on a frame SQS accepts) or by API Gateway's stage.
 */
export type MessageStatus = "pending" | "answered" | "failed" | "throttled" | "orphaned" | "unanswered";

/** Where a message that got an error frame was stopped (see refusalFor). */
export type Refusal = "queue-throttle" | "stage-throttle" | "refused";

/** One message this session sent, and what became of it. */
export interface SentMessage {
  /** 1-based position in the session (also the input line number in piped mode). */
  index: number;
  /** The `id` in the frame; null for a raw JSON frame that carries none. */
  id: string | null;
  /** The frame's MessageGroupId, null when it has none (the API then groups by connection). */
  group: string | null;
  seq: number | null;
  frame: string;
  /** Monotonic clock (ms) when the frame was handed to the socket: round trips are measured from here. */
  sentAtMs: number;
  /** Which connection carried it: results can only come back on the same one. */
  connection: number;
  /**
   * Whether the template and SQS accept the frame as it is (its MessageGroupId, if it names one, is
   * a valid group): a frame that is accepted and still fails its integration was throttled.
   * Undefined counts as accepted (wsq's own envelope, whose group is checked before it is used).
   */
  queueable?: boolean;
  status: MessageStatus;
  /** Set when an error frame was tied to it. */
  refusal?: Refusal;
  /** The consumer directives it carried (`/work`, `/fail`), if any. */
  directives?: ConsumerDirectives;
}

export type Correlation = "id" | "group-order" | "none";

export interface ResultMatch {
  result: PatternResult;
  message: SentMessage | undefined;
  correlatedBy: Correlation;
  rttMs: number | null;
  /**
   * The pattern's order broken: a result of the same group that the queue holds after this one (a
   * higher SQS sequence number) arrived before it on the same connection.
   */
  outOfOrder: boolean;
  /** When out of order: the seq of that result. */
  overtakenBySeq: number | null;
  /**
   * Information: this message reached the queue after a message of its group that was sent later
   * (API Gateway promises no order before the queue). Not a failure.
   */
  reorderedBeforeQueue: boolean;
  /** When reordered before the queue: the (higher) seq of the message queued ahead of it. */
  queuedAfterSeq: number | null;
  /** This message already had a result: a redelivery the handler processed again. */
  duplicate: boolean;
}

export interface SessionStats {
  sent: number;
  answered: number;
  pending: number;
  failed: number;
  throttled: number;
  orphaned: number;
  unanswered: number;
  outOfOrder: number;
  reorderedBeforeQueue: number;
  duplicates: number;
  errorFrames: number;
  roundTrip: LatencySummary;
}

/**
 * Ties results and error frames to the messages that caused them, checks the order the pattern
 * guarantees (within a group, SQS sequence-number order, on each connection), notes messages that
 * reached the queue out of send order, and keeps the figures /stats shows. Pure bookkeeping: no
 * sockets, no clock of its own.
 */
export class Correlator {
  private readonly messages: SentMessage[] = [];
  private readonly byId = new Map<string, SentMessage>();
  /** Highest sequence number received so far per group and connection: a lower one arriving later is out of order. */
  private readonly highestQueued = new Map<string, { sequenceNumber: string; seq: number | null }>();
  /** Per group, the highest seq among results queued so far and that result's sequence number. */
  private readonly latestSent = new Map<string, { seq: number; sequenceNumber: string }>();
  private readonly roundTrips: number[] = [];
  private outOfOrderCount = 0;
  private reorderedCount = 0;
  private duplicateCount = 0;
  private errorFrameCount = 0;
  /** Error frames no message could be tied to yet, per connection, in arrival order; tied when the run ends. */
  private readonly untiedErrors: { connection: number; kind: ApiErrorKind }[] = [];

  track(message: Omit<SentMessage, "index" | "status">): SentMessage {
    const tracked: SentMessage = { ...message, index: this.messages.length + 1, status: "pending" };
    this.messages.push(tracked);
    if (tracked.id !== null) this.byId.set(tracked.id, tracked);
    return tracked;
  }

  matchResult(result: PatternResult, nowMs: number, connection?: number): ResultMatch {
    let message: SentMessage | undefined;
    let correlatedBy: Correlation = "none";
    if (result.id !== null && result.id !== undefined) {
      message = this.byId.get(result.id);
      if (message) correlatedBy = "id";
    } else {
      // A raw JSON frame without an id: FIFO holds within a group, so the oldest unanswered
      // id-less message of the result's group (or of the connection, which is the group the API
      // uses when the frame names none) is the one this result answers.
      message = this.messages.find(
        (m) => m.id === null && m.status === "pending" && (m.group === result.group || (m.group === null && result.group === result.connectionId)),
      );
      if (message) correlatedBy = "group-order";
    }
    const duplicate = message !== undefined && message.status === "answered";
    let rttMs: number | null = null;
    if (message && !duplicate) {
      if (message.status === "pending") {
        rttMs = Math.max(0, nowMs - message.sentAtMs);
        this.roundTrips.push(rttMs);
      }
      message.status = "answered";
    }
    if (duplicate) this.duplicateCount += 1;
    const order = duplicate ? undefined : this.checkOrder(result, connection ?? message?.connection ?? 0);
    return {
      result,
      message,
      correlatedBy,
      rttMs,
      duplicate,
      outOfOrder: order?.outOfOrder ?? false,
      overtakenBySeq: order?.overtakenBySeq ?? null,
      reorderedBeforeQueue: order?.reorderedBeforeQueue ?? false,
      queuedAfterSeq: order?.queuedAfterSeq ?? null,
    };
  }

  private checkOrder(
    result: PatternResult,
    connection: number,
  ): Pick<ResultMatch, "outOfOrder" | "overtakenBySeq" | "reorderedBeforeQueue" | "queuedAfterSeq"> | undefined {
    const sequenceNumber = result.sequenceNumber;
    if (!isSequenceNumber(sequenceNumber)) return undefined;
    const seq = typeof result.seq === "number" ? result.seq : null;
    const key = `${result.group}\u0000${connection}`;
    const top = this.highestQueued.get(key);
    if (top && compareSequenceNumbers(sequenceNumber, top.sequenceNumber) < 0) {
      this.outOfOrderCount += 1;
      return { outOfOrder: true, overtakenBySeq: top.seq, reorderedBeforeQueue: false, queuedAfterSeq: null };
    }
    this.highestQueued.set(key, { sequenceNumber, seq });
    if (seq === null) return { outOfOrder: false, overtakenBySeq: null, reorderedBeforeQueue: false, queuedAfterSeq: null };
    // Queued after a message of the group with a higher seq (sent later): reordered before the queue.
    const latest = this.latestSent.get(result.group);
    if (latest && compareSequenceNumbers(sequenceNumber, latest.sequenceNumber) > 0 && seq < latest.seq) {
      this.reorderedCount += 1;
      return { outOfOrder: false, overtakenBySeq: null, reorderedBeforeQueue: true, queuedAfterSeq: latest.seq };
    }
    if (!latest || seq > latest.seq) this.latestSent.set(result.group, { seq, sequenceNumber });
    return { outOfOrder: false, overtakenBySeq: null, reorderedBeforeQueue: false, queuedAfterSeq: null };
  }

  /**
   * API Gateway's error frame names its own request id, which the client never saw, so it is tied
   * to a message at once only when exactly one message on that connection is still unanswered;
   * otherwise when the run ends (giveUp), to the oldest unanswered ones of that connection.
   */
  matchError(error: ApiErrorFrame, connection: number): SentMessage | undefined {
    this.errorFrameCount += 1;
    const kind = apiErrorKind(error.message);
    const candidates = this.messages.filter((m) => m.status === "pending" && m.connection === connection);
    if (candidates.length === 1 && !this.untiedErrors.some((e) => e.connection === connection)) {
      const message = candidates[0] as SentMessage;
      refuse(message, kind);
      return message;
    }
    this.untiedErrors.push({ connection, kind });
    return undefined;
  }

  /** Messages sent on a connection that is gone: their results cannot reach a new connection. */
  orphan(connection: number): SentMessage[] {
    const lost = this.messages.filter((m) => m.status === "pending" && m.connection === connection);
    for (const message of lost) message.status = "orphaned";
    return lost;
  }

  /**
   * At the end of a run: the error frames not yet tied go to the oldest unanswered messages of
   * their connection (throttled or failed); everything else still pending gets no result. Returns
   * every message that was pending, with its final status.
   */
  giveUp(): SentMessage[] {
    const left = this.pending();
    for (const error of this.untiedErrors.splice(0)) {
      const message = left.find((m) => m.status === "pending" && m.connection === error.connection);
      if (message) refuse(message, error.kind);
    }
    for (const message of left) if (message.status === "pending") message.status = "unanswered";
    return left;
  }

  pending(): SentMessage[] {
    return this.messages.filter((m) => m.status === "pending");
  }

  /** True when every message has a result, or an error frame accounts for it. */
  settled(): boolean {
    return this.pending().length <= this.untiedErrors.length;
  }

  stats(): SessionStats {
    const count = (status: MessageStatus) => this.messages.filter((m) => m.status === status).length;
    return {
      sent: this.messages.length,
      answered: count("answered"),
      pending: count("pending"),
      failed: count("failed"),
      throttled: count("throttled"),
      orphaned: count("orphaned"),
      unanswered: count("unanswered"),
      outOfOrder: this.outOfOrderCount,
      reorderedBeforeQueue: this.reorderedCount,
      duplicates: this.duplicateCount,
      errorFrames: this.errorFrameCount,
      roundTrip: summarizeLatencies(this.roundTrips),
    };
  }
}

/**
 * An integration failure ("Internal server error") on a frame the template and SQS accept can only
 * be SQS refusing the SendMessage for its rate (or a broken stack, which fails every frame): it is
 * counted as throttled at the queue. On a frame SQS refuses (an invalid MessageGroupId) it is that.
 */
function refusalFor(kind: ApiErrorKind, message: Pick<SentMessage, "queueable">): Refusal {
  if (kind === "stage-throttle") return "stage-throttle";
  if (kind === "integration-failure" && message.queueable !== false) return "queue-throttle";
  return "refused";
}

function refuse(message: SentMessage, kind: ApiErrorKind): void {
  const refusal = refusalFor(kind, message);
  message.refusal = refusal;
  message.status = refusal === "refused" ? "failed" : "throttled";
}
