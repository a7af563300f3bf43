import type { ApiErrorFrame, PatternResult } from "../../shared/pattern-messages.js";
import { summarizeLatencies, type LatencySummary } from "../common/percentiles.js";

export type MessageStatus = "pending" | "answered" | "failed" | "orphaned" | "unanswered";

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
  status: MessageStatus;
}

export type Correlation = "id" | "group-order" | "none";

export interface ResultMatch {
  result: PatternResult;
  message: SentMessage | undefined;
  correlatedBy: Correlation;
  rttMs: number | null;
  /** A later message of the same group (by seq) was answered before this one. */
  outOfOrder: boolean;
  /** When out of order: the highest seq of the group answered before this result. */
  overtakenBySeq: number | null;
  /** This message already had a result: a redelivery the handler processed again. */
  duplicate: boolean;
}

export interface SessionStats {
  sent: number;
  answered: number;
  pending: number;
  failed: number;
  orphaned: number;
  unanswered: number;
  outOfOrder: number;
  duplicates: number;
  errorFrames: number;
  roundTrip: LatencySummary;
}

/**
 * Ties results and error frames to the messages that caused them, marks order violations within a
 * group and keeps the figures /stats shows. Pure bookkeeping: no sockets, no clock of its own.
 */
export class Correlator {
  private readonly messages: SentMessage[] = [];
  private readonly byId = new Map<string, SentMessage>();
  /** Highest seq answered so far, per group: a lower one arriving later is out of order. */
  private readonly highestSeq = new Map<string, number>();
  private readonly roundTrips: number[] = [];
  private outOfOrderCount = 0;
  private duplicateCount = 0;
  private errorFrameCount = 0;
  /** Error frames no message could be tied to; each accounts for one pending message when deciding "done". */
  private untiedErrors = 0;

  track(message: Omit<SentMessage, "index" | "status">): SentMessage {
    const tracked: SentMessage = { ...message, index: this.messages.length + 1, status: "pending" };
    this.messages.push(tracked);
    if (tracked.id !== null) this.byId.set(tracked.id, tracked);
    return tracked;
  }

  matchResult(result: PatternResult, nowMs: number): ResultMatch {
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
    let outOfOrder = false;
    let overtakenBySeq: number | null = null;
    const seq = typeof result.seq === "number" ? result.seq : null;
    if (seq !== null && !duplicate) {
      const highest = this.highestSeq.get(result.group);
      if (highest !== undefined && seq < highest) {
        outOfOrder = true;
        overtakenBySeq = highest;
        this.outOfOrderCount += 1;
      } else {
        this.highestSeq.set(result.group, seq);
      }
    }
    return { result, message, correlatedBy, rttMs, outOfOrder, overtakenBySeq, duplicate };
  }

  /**
   * API Gateway's error frame names its own request id, which the client never saw, so it can be
   * tied to a message only when exactly one message on that connection is still unanswered.
   */
  matchError(_error: ApiErrorFrame, connection: number): SentMessage | undefined {
    this.errorFrameCount += 1;
    const candidates = this.messages.filter((m) => m.status === "pending" && m.connection === connection);
    if (candidates.length === 1 && this.untiedErrors === 0) {
      const message = candidates[0] as SentMessage;
      message.status = "failed";
      return message;
    }
    this.untiedErrors += 1;
    return undefined;
  }

  /** Messages sent on a connection that is gone: their results cannot reach a new connection. */
  orphan(connection: number): SentMessage[] {
    const lost = this.messages.filter((m) => m.status === "pending" && m.connection === connection);
    for (const message of lost) message.status = "orphaned";
    return lost;
  }

  /** At the end of a run: everything still pending gets no result. */
  giveUp(): SentMessage[] {
    const left = this.pending();
    for (const message of left) message.status = "unanswered";
    return left;
  }

  pending(): SentMessage[] {
    return this.messages.filter((m) => m.status === "pending");
  }

  /** True when every message has a result, or an error frame accounts for it. */
  settled(): boolean {
    return this.pending().length <= this.untiedErrors;
  }

  stats(): SessionStats {
    const count = (status: MessageStatus) => this.messages.filter((m) => m.status === status).length;
    return {
      sent: this.messages.length,
      answered: count("answered"),
      pending: count("pending"),
      failed: count("failed"),
      orphaned: count("orphaned"),
      unanswered: count("unanswered"),
      outOfOrder: this.outOfOrderCount,
      duplicates: this.duplicateCount,
      errorFrames: this.errorFrameCount,
      roundTrip: summarizeLatencies(this.roundTrips),
    };
  }
}
