/**
 * The pattern's message formats, shared by the handler (src/handler), `wsq connect` and
 * `wsq burst`. One definition, so that what a client sends and what the handler echoes cannot drift.
 *
 * Client → API (one WebSocket text frame):
 *   {"action":"send","id":"c1-42","MessageGroupId":"g1","seq":42,"sentAt":1732400000000,"data":…}
 * The API's mapping template puts the whole frame in the SQS body, uses MessageGroupId (else the
 * connection id) as the group, $context.requestId as the dedup id, and adds connectionId,
 * requestId and requestTimeEpoch as message attributes.
 *
 * Handler → client (through @connections, one frame per processed message): a PatternResult.
 * API Gateway itself may send an ApiErrorFrame when it could not process a frame.
 */

export const DEFAULT_ACTION = "send";

export interface PatternMessage {
  action?: string;
  /** Client-chosen id; the result echoes it so that each result is tied to its message. */
  id?: string;
  MessageGroupId?: string;
  /** Per-group sequence number chosen by the client, to check order on arrival. */
  seq?: number;
  /** Client clock (epoch ms) when the frame was sent. */
  sentAt?: number;
  data?: unknown;
  [key: string]: unknown;
}

export interface PatternResult {
  type: "result";
  /** The client's `id`, or null when the message had none (not sent by wsq). */
  id: string | null;
  seq: number | null;
  /** The SQS message id, group and FIFO sequence number. */
  messageId: string;
  group: string;
  sequenceNumber: string | null;
  /** ApproximateReceiveCount: 1 on first delivery, more on retries. */
  receiveCount: number;
  /** The connection the message came from, and API Gateway's request id for it. */
  connectionId: string;
  requestId: string | null;
  /** Processing start minus the API's requestTimeEpoch: how long the queue held the message. */
  queueWaitMs: number | null;
  /** When the handler started processing (epoch ms). */
  processedAt: number;
  /** The handler's output: the echo of `data`, or what a user handler returned. */
  data: unknown;
}

/** What API Gateway sends on a one-way route when it could not process a frame. */
export interface ApiErrorFrame {
  message: string;
  connectionId?: string;
  requestId?: string;
}

export type IncomingFrame =
  { kind: "result"; result: PatternResult } | { kind: "api-error"; error: ApiErrorFrame } | { kind: "other"; raw: string; json: unknown };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Classify a text frame received from the API. Never throws. */
export function parseIncomingFrame(raw: string): IncomingFrame {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { kind: "other", raw, json: undefined };
  }
  if (isRecord(json) && json.type === "result" && typeof json.messageId === "string") {
    return { kind: "result", result: json as unknown as PatternResult };
  }
  if (isRecord(json) && typeof json.message === "string" && Object.keys(json).every((k) => ["message", "connectionId", "requestId"].includes(k))) {
    return { kind: "api-error", error: json as unknown as ApiErrorFrame };
  }
  return { kind: "other", raw, json };
}

/** Build the frame for a message in the pattern's format. */
export function buildMessage(fields: { id: string; group: string; seq?: number; data: unknown; action?: string; sentAt?: number }): string {
  const message: PatternMessage = {
    action: fields.action ?? DEFAULT_ACTION,
    id: fields.id,
    MessageGroupId: fields.group,
    ...(fields.seq !== undefined ? { seq: fields.seq } : {}),
    sentAt: fields.sentAt ?? Date.now(),
    data: fields.data,
  };
  return JSON.stringify(message);
}
