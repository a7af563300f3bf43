import type { Refusal, SentMessage, SessionStats } from "./correlation.js";

/**
 * Why a message got no result: throttled (at the queue's door, or by API Gateway's stage) or
 * refused by API Gateway (an error frame was tied to it), its connection closed, or --wait ran out.
 */
export type NoResultReason = "timeout" | "connection-closed" | "throttled" | "refused";
import type { SessionEvent } from "./session.js";

/**
 * The NDJSON records `wsq connect` prints in non-interactive mode, one per line on stdout. These
 * field names are a public interface (docs/connect.md): add fields, never rename or remove them.
 */
export type ConnectRecord =
  | {
      type: "result";
      /** 1-based input line (or --execute position) of the message this answers; null if untied. */
      line: number | null;
      id: string | null;
      group: string;
      seq: number | null;
      data: unknown;
      rttMs: number | null;
      queueWaitMs: number | null;
      /** The pattern's order broken: a result the queue holds after this one (by SQS sequence number) arrived first. */
      outOfOrder: boolean;
      /** When out of order: the seq of that result. */
      overtakenBySeq: number | null;
      /** Information: queued after a message of its group sent later (reordered before the queue). */
      reorderedBeforeQueue: boolean;
      /** When reordered before the queue: the seq of the message queued ahead of it. */
      queuedAfterSeq: number | null;
      duplicate: boolean;
      correlatedBy: "id" | "group-order" | "none";
      receiveCount: number;
      messageId: string;
      sequenceNumber: string | null;
      connectionId: string;
      requestId: string | null;
    }
  | {
      type: "error";
      line: number | null;
      id: string | null;
      message: string;
      connectionId: string | null;
      requestId: string | null;
      /** Where the message it is tied to was stopped (null while untied: see the no-result records at the end). */
      refusal: Refusal | null;
    }
  | { type: "frame"; data: string; binary: boolean }
  | { type: "no-result"; line: number; id: string | null; group: string | null; seq: number | null; reason: NoResultReason }
  | { type: "invalid-input"; line: number; error: string }
  | { type: "close"; code: number; meaning: string; reason: string; byClient: boolean }
  | ({ type: "summary" } & Omit<SessionStats, "roundTrip"> & { p50Ms: number | null; p99Ms: number | null; maxMs: number | null });

/** The record for a session event, or undefined for events that are diagnostics (stderr) only. */
export function recordForEvent(event: SessionEvent, lineOf: (message: SentMessage) => number): ConnectRecord[] {
  switch (event.type) {
    case "result": {
      const r = event.result;
      return [
        {
          type: "result",
          line: event.message ? lineOf(event.message) : null,
          id: r.id ?? null,
          group: r.group,
          seq: r.seq ?? null,
          data: r.data,
          rttMs: event.rttMs === null ? null : round(event.rttMs),
          queueWaitMs: r.queueWaitMs ?? null,
          outOfOrder: event.outOfOrder,
          overtakenBySeq: event.overtakenBySeq,
          reorderedBeforeQueue: event.reorderedBeforeQueue,
          queuedAfterSeq: event.queuedAfterSeq,
          duplicate: event.duplicate,
          correlatedBy: event.correlatedBy,
          receiveCount: r.receiveCount,
          messageId: r.messageId,
          sequenceNumber: r.sequenceNumber ?? null,
          connectionId: r.connectionId,
          requestId: r.requestId ?? null,
        },
      ];
    }
    case "api-error":
      return [
        {
          type: "error",
          line: event.message ? lineOf(event.message) : null,
          id: event.message?.id ?? null,
          message: event.error.message,
          connectionId: event.error.connectionId ?? null,
          requestId: event.error.requestId ?? null,
          refusal: event.message?.refusal ?? null,
        },
      ];
    case "frame":
      return [{ type: "frame", data: event.raw, binary: event.binary }];
    case "close":
      return [
        { type: "close", code: event.code, meaning: event.meaning, reason: event.reason, byClient: event.byClient },
        ...event.orphaned.map((m) => noResult(m, lineOf(m), "connection-closed")),
      ];
    default:
      return [];
  }
}

/** The no-result reason for a message the run gave up on (Correlator.giveUp set its status). */
export function giveUpReason(message: SentMessage): NoResultReason {
  return message.status === "throttled" ? "throttled" : message.status === "failed" ? "refused" : "timeout";
}

export function noResult(message: SentMessage, line: number, reason: NoResultReason): ConnectRecord {
  return { type: "no-result", line, id: message.id, group: message.group, seq: message.seq, reason };
}

export function summaryRecord(stats: SessionStats): ConnectRecord {
  const { roundTrip, ...counts } = stats;
  return { type: "summary", ...counts, p50Ms: roundTrip.p50Ms, p99Ms: roundTrip.p99Ms, maxMs: roundTrip.maxMs };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
