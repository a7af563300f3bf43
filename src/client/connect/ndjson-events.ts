import type { SentMessage, SessionStats } from "./correlation.js";
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
      outOfOrder: boolean;
      /** When out of order: the highest seq of the group that was answered before this one. */
      overtakenBySeq: number | null;
      duplicate: boolean;
      correlatedBy: "id" | "group-order" | "none";
      receiveCount: number;
      messageId: string;
      sequenceNumber: string | null;
      connectionId: string;
      requestId: string | null;
    }
  | { type: "error"; line: number | null; id: string | null; message: string; connectionId: string | null; requestId: string | null }
  | { type: "frame"; data: string; binary: boolean }
  | { type: "no-result"; line: number; id: string | null; group: string | null; seq: number | null; reason: "timeout" | "connection-closed" }
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

export function noResult(message: SentMessage, line: number, reason: "timeout" | "connection-closed"): ConnectRecord {
  return { type: "no-result", line, id: message.id, group: message.group, seq: message.seq, reason };
}

export function summaryRecord(stats: SessionStats): ConnectRecord {
  const { roundTrip, ...counts } = stats;
  return { type: "summary", ...counts, p50Ms: roundTrip.p50Ms, p99Ms: roundTrip.p99Ms, maxMs: roundTrip.maxMs };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
