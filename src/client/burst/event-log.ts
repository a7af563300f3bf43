import { WsqError, ExitCode } from "../../shared/errors.js";
import type { PatternResult } from "../../shared/pattern-messages.js";
import type { BurstConfig, BurstErrors, BurstOutcome, BurstRawRun, DlqFinding, QueueSample, ReceivedRecord, SentRecord } from "./types.js";

/**
 * The run as an NDJSON event log (`--events FILE`): one line per message sent, per result received
 * and per queue sample, framed by a header and a footer. It holds every timing the report is
 * computed from, so `--replay FILE` re-renders the same summary, JSON or HTML later, and other tools
 * can read a run without knowing wsq. Pure: text in, records out.
 */

export const EVENT_LOG_FORMAT = "wsq-burst-events/1";

type Line =
  | { type: "run"; format: string; config: BurstConfig; startedAtEpochMs: number; connectMs: number }
  | ({ type: "send" } & SentRecord)
  | { type: "result"; at: number; connection: number; result: PatternResult }
  | ({ type: "queue" } & QueueSample)
  | { type: "end"; endedAt: number; sendEndedAt: number | null; outcome: BurstOutcome; errors: BurstErrors; dlq: DlqFinding | null };

export function toEventLog(raw: BurstRawRun): string {
  const lines: Line[] = [{ type: "run", format: EVENT_LOG_FORMAT, config: raw.config, startedAtEpochMs: raw.startedAtEpochMs, connectMs: raw.connectMs }];
  // Interleaved by time, so the log reads as the run happened; a message never attempted has no time.
  const timed: { at: number; line: Line }[] = [
    ...raw.sent.map((s) => ({ at: s.sendCalledAt ?? Number.POSITIVE_INFINITY, line: { type: "send" as const, ...s } })),
    ...raw.received.map((r) => ({ at: r.at, line: { type: "result" as const, at: r.at, connection: r.connection, result: r.result } })),
    ...raw.samples.map((q) => ({ at: q.at, line: { type: "queue" as const, ...q } })),
  ];
  timed.sort((a, b) => a.at - b.at);
  for (const { line } of timed) lines.push(line);
  lines.push({ type: "end", endedAt: raw.endedAt, sendEndedAt: raw.sendEndedAt, outcome: raw.outcome, errors: raw.errors, dlq: raw.dlq });
  return `${lines.map((line) => JSON.stringify(line)).join("\n")}\n`;
}

function bad(file: string, lineNumber: number, why: string): WsqError {
  return new WsqError("BAD_EVENT_LOG", `${file}:${lineNumber} is not a wsq burst event log: ${why}.`, {
    hint: "Pass a file written by `wsq burst --events FILE`.",
    exitCode: ExitCode.failure,
  });
}

export function fromEventLog(text: string, file = "events"): BurstRawRun {
  let header: Extract<Line, { type: "run" }> | undefined;
  let footer: Extract<Line, { type: "end" }> | undefined;
  const sent: SentRecord[] = [];
  const received: ReceivedRecord[] = [];
  const samples: QueueSample[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]?.trim();
    if (!raw) continue;
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      throw bad(file, i + 1, "not JSON");
    }
    switch (line.type) {
      case "run":
        if (line.format !== EVENT_LOG_FORMAT) throw bad(file, i + 1, `format "${line.format}", expected "${EVENT_LOG_FORMAT}"`);
        header = line;
        break;
      case "send": {
        const { type: _type, ...record } = line;
        sent.push(record);
        break;
      }
      case "result":
        received.push({ at: line.at, connection: line.connection, result: line.result });
        break;
      case "queue": {
        const { type: _type, ...sample } = line;
        samples.push(sample);
        break;
      }
      case "end":
        footer = line;
        break;
      default:
        throw bad(file, i + 1, `unknown record type "${(line as { type?: unknown }).type}"`);
    }
  }
  if (!header) throw bad(file, 1, "no run header");
  if (!footer) throw bad(file, lines.length, "no end record (the run did not finish writing it)");
  sent.sort((a, b) => Number(a.id.slice(a.id.lastIndexOf("-") + 1)) - Number(b.id.slice(b.id.lastIndexOf("-") + 1)));
  return {
    config: header.config,
    startedAtEpochMs: header.startedAtEpochMs,
    connectMs: header.connectMs,
    endedAt: footer.endedAt,
    sendEndedAt: footer.sendEndedAt,
    outcome: footer.outcome,
    sent,
    received,
    samples,
    errors: footer.errors,
    dlq: footer.dlq,
  };
}
