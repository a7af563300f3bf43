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
 *
 * Consumer directives (docs/deploy.md, "Consumer directives"): a frame may ask the built-in echo
 * handler to take time or to fail, in a `wsq` member:
 *   {"action":"send","id":"c1-42","MessageGroupId":"g1","seq":42,"sentAt":…,"wsq":{"work":20,"fail":"once"},"data":…}
 * - `work`: milliseconds of processing time, a whole number from 0 to MAX_WORK_MS, spent before
 *   the answer is posted; capped so that it never times the function out (src/handler/directives.ts).
 * - `fail`: "once" fails the delivery whose ApproximateReceiveCount is 1 (the retry succeeds);
 *   "always" fails every delivery, so SQS dead-letters the message after maxReceiveCount receives.
 *   A failed delivery posts nothing. A message that came back from the dead-letter queue (a
 *   redrive) is not failed again: its `fail` is void, its `work` still applies (docs/dlq.md).
 * A `--handler` function gets the frame as it is and ignores `wsq` unless it opts in (withDirectives).
 */

export const DEFAULT_ACTION = "send";

/** The frame member that carries consumer directives. */
export const DIRECTIVES_MEMBER = "wsq";
/** The largest `work` a directive may ask for: Lambda's longest function timeout, 900 s. */
export const MAX_WORK_MS = 900_000;
/** Time the handler keeps back from `work` for posting its answers and ending the invocation, at most. */
export const WORK_RESERVE_MS = 1_000;

/**
 * What the handler keeps back from an invocation's `remainingMs` (its time left when it starts):
 * a fifth of a short function's time, at most WORK_RESERVE_MS. The handler applies it
 * (src/handler/directives.ts); `wsq burst` predicts with it (src/client/burst/consumer.ts).
 */
export function workReserveMs(remainingMs: number): number {
  return Math.min(WORK_RESERVE_MS, Math.floor(remainingMs / 5));
}

export type FailDirective = "once" | "always";

/** What a frame asks of the consumer (the `wsq` member). */
export interface ConsumerDirectives {
  /** Processing time in ms (0 to MAX_WORK_MS). */
  work?: number;
  fail?: FailDirective;
}

/**
 * What the handler that answered did, when it honours directives (the built-in echo handler, or a
 * `--handler` wrapped in withDirectives): where it ran and what it applied.
 */
export interface ConsumerReport {
  /** Drawn once per execution environment (when it loaded the function): tells environments apart. */
  environment: string;
  /** Lambda's request id of the invocation (one batch), when known. */
  invocation: string | null;
  /** Records in that invocation's batch, when known. */
  batchSize: number | null;
  /** Processing time spent for the `work` directive (ms), after the cap. */
  workMs: number;
  /** What `work` asked for (null without one); above workMs when the cap applied. */
  requestedWorkMs: number | null;
  /** The message's `fail` directive (null without one). This delivery succeeded: a failed delivery posts nothing. */
  fail: FailDirective | null;
  /** The message came back from the dead-letter queue (a redrive): its `fail` was void. */
  redriven: boolean;
  /** Why the `wsq` member was ignored, when it was malformed. */
  directiveError: string | null;
}

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
  /** Consumer directives for the built-in handler (see above). */
  wsq?: ConsumerDirectives;
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
  /** The consumer's side (the built-in handler; a --handler that opts in to directives). Absent otherwise. */
  consumer?: ConsumerReport;
}

/** What API Gateway sends on a one-way route when it could not process a frame. */
export interface ApiErrorFrame {
  message: string;
  connectionId?: string;
  requestId?: string;
}

export type IncomingFrame =
  { kind: "result"; result: PatternResult } | { kind: "api-error"; error: ApiErrorFrame } | { kind: "other"; raw: string; json: unknown };

/** A JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
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
export function buildMessage(fields: {
  id: string;
  group: string;
  seq?: number;
  data: unknown;
  action?: string;
  sentAt?: number;
  directives?: ConsumerDirectives;
}): string {
  const directives = fields.directives !== undefined && Object.keys(fields.directives).length > 0 ? fields.directives : undefined;
  const message: PatternMessage = {
    action: fields.action ?? DEFAULT_ACTION,
    id: fields.id,
    MessageGroupId: fields.group,
    ...(fields.seq !== undefined ? { seq: fields.seq } : {}),
    sentAt: fields.sentAt ?? Date.now(),
    ...(directives !== undefined ? { [DIRECTIVES_MEMBER]: directives } : {}),
    data: fields.data,
  };
  return JSON.stringify(message);
}

/**
 * Orders two SQS sequence numbers: FIFO queues number each group's messages with large decimal
 * strings (e.g. "18849496460467696128"), increasing within a group, beyond what a double holds.
 */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Whether a result's sequence number can be ordered (a decimal string; null on a standard queue). */
export function isSequenceNumber(value: unknown): value is string {
  return typeof value === "string" && /^\d+$/.test(value);
}

/**
 * What an API Gateway error frame ({"message": …} on a one-way route) says happened to a frame:
 * - "stage-throttle": API Gateway's own throttling (the stage's or the account's rate), before any
 *   integration ran. The wording is AWS's HTTP reason phrase; what a WebSocket client gets is not
 *   documented (docs/burst.md, fidelity ledger).
 * - "integration-failure": the integration failed ("Internal server error"). For the pattern's SQS
 *   integration that is SQS refusing the SendMessage: above the FIFO throughput quota
 *   (RequestThrottled), or for the message itself (an invalid MessageGroupId), or a broken stack.
 * - "forbidden": no route matched and there is no $default route.
 */
export type ApiErrorKind = "stage-throttle" | "integration-failure" | "forbidden" | "other";

const STAGE_THROTTLE_PATTERN = /too many requests|limit ?exceeded|throttl|rate exceeded/i;

export function apiErrorKind(message: string): ApiErrorKind {
  if (STAGE_THROTTLE_PATTERN.test(message)) return "stage-throttle";
  const text = message.trim().toLowerCase();
  if (text === "internal server error") return "integration-failure";
  if (text === "forbidden") return "forbidden";
  return "other";
}

/**
 * Whether SQS accepts `group` as a MessageGroupId: 1-128 characters, letters, digits and ASCII
 * punctuation (SQS SendMessage API reference). A frame naming another group fails the integration
 * for itself, not because of throttling.
 */
export function isValidMessageGroupId(group: string): boolean {
  return group.length >= 1 && group.length <= 128 && /^[\x21-\x7e]+$/.test(group);
}
