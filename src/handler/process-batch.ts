/**
 * The handler's core, free of the AWS SDK: turn one SQS batch into results posted back to their
 * senders, and into the partial batch response Lambda uses to retry what failed.
 *
 * Rules (Lambda docs "Handling errors for an SQS event source" and AWS Prescriptive Guidance on
 * partial batch responses for FIFO queues):
 * - Records of one message group are handled one after another, in batch order; groups run in
 *   parallel, since FIFO only orders within a group. Within a group a record's processing overlaps
 *   the post-back of the record before it (the post is I/O; the processing may be too), but the
 *   posts themselves go one after another, each starting once the one before it has succeeded, so
 *   a client sees its group's results in order. A record processed while its predecessor's post
 *   fails goes back to the queue with it and is processed again on the retry: at-least-once, as
 *   any SQS consumer is.
 * - A post to a connection that is gone (GoneException, HTTP 410) cannot succeed on a retry: the
 *   result is dropped and logged, and the record counts as done. The same holds for a result too
 *   large for @connections (PayloadTooLargeException, 413).
 * - Any other failure (the processing function threw, throttling, a 5xx, missing permission)
 *   fails that record AND every later record of its group in this batch: reporting only the failed
 *   one would let later messages of the group be deleted before it, breaking the group's order.
 */
import { isRecord, type ConsumerReport, type PatternMessage, type PatternResult } from "../shared/pattern-messages.js";
import type { LogLevel } from "./log.js";
import type { SqsBatchResponse, SqsEvent, SqsRecord } from "./sqs-event.js";

/** What a processing function learns about the message besides its content. */
export interface ProcessContext {
  messageId: string;
  group: string;
  sequenceNumber: string | null;
  /** 1 on the first delivery, more on retries. */
  receiveCount: number;
  connectionId: string;
  requestId: string | null;
  /** When API Gateway received the frame (epoch ms), if the API recorded it. */
  requestTimeEpoch: number | null;
  /** When this record's processing started (epoch ms). */
  processingStartedAt: number;
  /** MessageDeduplicationId (FIFO): the template sets API Gateway's request id; SQS replaces it when it dead-letters the message. */
  deduplicationId: string | null;
  /** SentTimestamp: when the message entered the queue (epoch ms); a redriven message is a new message. */
  sentTimestamp: number | null;
  /**
   * Set by a processing function that honours consumer directives (directives.ts): what it did,
   * posted with the result as its `consumer` member.
   */
  consumer?: ConsumerReport;
}

/**
 * The user's processing function (`wsq deploy --handler FILE` exports it as `process`). The
 * template queues each text frame verbatim (MessageBody is `$input.body`); `message` is that text
 * parsed as JSON when it is JSON (an object, an array, a number, a string, true, false or null),
 * else the text itself. It returns the result's `data`. Throwing fails the record (it is retried,
 * then dead-lettered).
 */
export type ProcessFunction = (message: unknown, context: ProcessContext) => unknown;

export interface BatchDependencies {
  /** PostToConnection: sends one text frame to one connection. */
  post(connectionId: string, data: string): Promise<void>;
  process: ProcessFunction;
  now(): number;
  log(level: LogLevel, message: string, fields: Record<string, unknown>): void;
}

/** The default processing: echo the client's `data` (or the whole frame when it has none). */
export const echoData: ProcessFunction = (message) => (isRecord(message) && "data" in message ? message.data : message);

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** The connection has closed (or never existed): posting again can never succeed. */
export function isGoneError(error: unknown): boolean {
  return errorName(error) === "GoneException" || httpStatus(error) === 410;
}

/** The result exceeds what @connections accepts (128 KB): a retry would fail the same way. */
export function isPayloadTooLargeError(error: unknown): boolean {
  return errorName(error) === "PayloadTooLargeException" || httpStatus(error) === 413;
}

/** Group key: the FIFO message group; on a standard queue every record is its own group. */
function groupOf(record: SqsRecord): string {
  return record.attributes.MessageGroupId ?? `standard:${record.messageId}`;
}

/** The frame as JSON when it is JSON, else its text (plain text frames are queued too). */
function parseBody(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

function attribute(record: SqsRecord, name: string): string | undefined {
  return record.messageAttributes[name]?.stringValue;
}

function numberOrNull(text: string | undefined): number | null {
  if (text === undefined || text.trim() === "") return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

/** Build the PatternResult for one record (pure; exported for tests). */
export function buildResult(record: SqsRecord, message: unknown, data: unknown, processingStartedAt: number, consumer?: ConsumerReport): PatternResult {
  const frame = isRecord(message) ? (message as PatternMessage) : undefined;
  const requestTimeEpoch = numberOrNull(attribute(record, "requestTimeEpoch"));
  return {
    type: "result",
    id: typeof frame?.id === "string" ? frame.id : null,
    seq: typeof frame?.seq === "number" ? frame.seq : null,
    messageId: record.messageId,
    group: record.attributes.MessageGroupId ?? "",
    sequenceNumber: record.attributes.SequenceNumber ?? null,
    receiveCount: Number(record.attributes.ApproximateReceiveCount ?? "1"),
    connectionId: attribute(record, "connectionId") ?? "",
    requestId: attribute(record, "requestId") ?? null,
    queueWaitMs: requestTimeEpoch === null ? null : processingStartedAt - requestTimeEpoch,
    processedAt: processingStartedAt,
    data,
    ...(consumer !== undefined ? { consumer } : {}),
  };
}

type Outcome = "done" | "failed";

/** A record after its processing: settled already, or a result waiting to be posted. */
type Processed = { outcome: Outcome } | { post: () => Promise<Outcome> };

/** Runs the processing function for one record; the post, if any, is left to the caller. */
async function processRecord(record: SqsRecord, deps: BatchDependencies): Promise<Processed> {
  const startedAt = deps.now();
  const connectionId = attribute(record, "connectionId");
  const message = parseBody(record.body);
  // The client's id too, so that a log line can be tied to the message a client sent.
  const clientId = isRecord(message) && typeof message.id === "string" ? message.id : undefined;
  const fields = { messageId: record.messageId, group: record.attributes.MessageGroupId, connectionId, ...(clientId !== undefined ? { id: clientId } : {}) };
  const context: ProcessContext = {
    messageId: record.messageId,
    group: record.attributes.MessageGroupId ?? "",
    sequenceNumber: record.attributes.SequenceNumber ?? null,
    receiveCount: Number(record.attributes.ApproximateReceiveCount ?? "1"),
    connectionId: connectionId ?? "",
    requestId: attribute(record, "requestId") ?? null,
    requestTimeEpoch: numberOrNull(attribute(record, "requestTimeEpoch")),
    processingStartedAt: startedAt,
    deduplicationId: record.attributes.MessageDeduplicationId ?? null,
    sentTimestamp: numberOrNull(record.attributes.SentTimestamp),
  };
  let data: unknown;
  try {
    data = await deps.process(message, context);
  } catch (error) {
    deps.log("error", "processing failed; the record will be retried", { ...fields, error: describe(error) });
    return { outcome: "failed" };
  }
  if (connectionId === undefined || connectionId === "") {
    // Not sent through the API (no connectionId attribute): processed, but nobody to answer.
    deps.log("warn", "no connectionId attribute; result not posted", fields);
    return { outcome: "done" };
  }
  const result = buildResult(record, message, data, startedAt, context.consumer);
  return { post: () => postResult(connectionId, result, fields, deps) };
}

async function postResult(connectionId: string, result: PatternResult, fields: Record<string, unknown>, deps: BatchDependencies): Promise<Outcome> {
  try {
    await deps.post(connectionId, JSON.stringify(result));
    return "done";
  } catch (error) {
    if (isGoneError(error)) {
      deps.log("warn", "connection gone; result dropped", fields);
      return "done";
    }
    if (isPayloadTooLargeError(error)) {
      deps.log("error", "result larger than @connections accepts; result dropped", { ...fields, bytes: Buffer.byteLength(JSON.stringify(result)) });
      return "done";
    }
    deps.log("error", "posting the result failed; the record will be retried", { ...fields, error: describe(error) });
    return "failed";
  }
}

/**
 * One group's records in order, each processed while the previous one's result is being posted.
 * Resolves to the index of the first record that failed (it and every later one go back), or
 * undefined when all are done.
 */
async function handleGroup(records: SqsRecord[], deps: BatchDependencies): Promise<number | undefined> {
  // The post under way, for the record at `postingIndex`.
  let posting: Promise<Outcome> | undefined;
  let postingIndex = -1;
  for (let index = 0; index < records.length; index += 1) {
    const processed = await processRecord(records[index] as SqsRecord, deps).catch((): Processed => ({ outcome: "failed" }));
    if (posting !== undefined) {
      if ((await posting) === "failed") return postingIndex;
      posting = undefined;
    }
    if ("outcome" in processed) {
      if (processed.outcome === "failed") return index;
      continue;
    }
    posting = processed.post().catch((): Outcome => "failed");
    postingIndex = index;
  }
  if (posting !== undefined && (await posting) === "failed") return postingIndex;
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Process a batch; resolves to the partial batch response (never rejects). */
export async function processBatch(event: SqsEvent, deps: BatchDependencies): Promise<SqsBatchResponse> {
  const records = event.Records ?? [];
  const groups = new Map<string, SqsRecord[]>();
  for (const record of records) {
    const key = groupOf(record);
    const list = groups.get(key);
    if (list) list.push(record);
    else groups.set(key, [record]);
  }
  const failed = new Set<string>();
  await Promise.all(
    [...groups.values()].map(async (groupRecords) => {
      const firstFailed = await handleGroup(groupRecords, deps);
      // The FIFO rule: the failed record and every later one of its group go back to the queue.
      if (firstFailed !== undefined) for (const rest of groupRecords.slice(firstFailed)) failed.add(rest.messageId);
    }),
  );
  // Reported in batch order, which keeps the response readable in logs.
  return { batchItemFailures: records.filter((r) => failed.has(r.messageId)).map((r) => ({ itemIdentifier: r.messageId })) };
}
