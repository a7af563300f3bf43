/**
 * Reading a dead-letter queue without consuming it. SQS has no peek, so `wsq dlq list` walks the
 * queue with receives that hide each message for a short visibility timeout (so the next receive
 * returns the next messages instead of the same ones), then hands every message back at once with
 * ChangeMessageVisibility 0. What that does to the messages:
 * - each one's ApproximateReceiveCount grows by one (a redrive resets it: a redriven message is a
 *   new message);
 * - nothing is deleted, and nothing moves: on a FIFO queue a message keeps its place (its sequence
 *   number), so the order is as before;
 * - while the walk runs (and, if wsq is killed mid-walk, for up to the visibility timeout) the
 *   messages are in flight: another reader, or a redrive task, passes over them meanwhile.
 * A receive with VisibilityTimeout 0 would not hide anything, and on a FIFO queue every receive
 * would return the same group heads, so paging needs the short timeout. A FIFO queue also hands
 * out nothing more of a group while one of its messages is in flight: a walk sees a group's first
 * messages (up to 10, what one receive returns), and `complete` says when some stayed hidden.
 */
import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from "@aws-sdk/client-sqs";
import { describeError } from "../../shared/errors.js";
import { queueDepth, type QueueDepth } from "./queues.js";

/** One dead letter as `wsq dlq list` shows it. */
export interface DeadLetter {
  messageId: string;
  group: string | null;
  sequenceNumber: string | null;
  /** ApproximateReceiveCount before this listing's own receive. */
  receiveCount: number;
  /** SentTimestamp (epoch ms): on a FIFO DLQ, when it reached the DLQ; on a standard one, when it was first sent. */
  sentTimestamp: number;
  /** ApproximateFirstReceiveTimestamp (epoch ms), if SQS gave one. */
  firstReceiveTimestamp: number | null;
  /** What SQS counts against MaximumMessageSize: body plus attribute names, types and values. */
  sizeBytes: number;
  body: string;
  /** DeadLetterQueueSourceArn: the queue it was dead-lettered from. */
  sourceQueueArn: string | null;
  /** String message attributes (the pattern's connectionId, requestId, ...). */
  attributes: Record<string, string>;
}

export interface PeekResult {
  /** Oldest first (FIFO: by sequence number). */
  messages: DeadLetter[];
  /** The queue's depth before the walk. */
  depth: QueueDepth;
  /** True when every message of the queue was seen. */
  complete: boolean;
  /** Set when some messages could not be handed back (they return after the visibility timeout). */
  releaseProblem: string | null;
}

/** ReceiveMessage returns at most 10 messages per call (SQS API reference). */
const RECEIVE_BATCH = 10;
/** Long enough to walk the queue without meeting a message twice; every message is handed back right after. */
export const PEEK_VISIBILITY_SECONDS = 30;

function messageSize(message: Message): number {
  let size = Buffer.byteLength(message.Body ?? "", "utf8");
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    size += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value.DataType ?? "", "utf8");
    size += value.BinaryValue !== undefined ? value.BinaryValue.length : Buffer.byteLength(value.StringValue ?? "", "utf8");
  }
  return size;
}

function toDeadLetter(message: Message): DeadLetter {
  const a = message.Attributes ?? {};
  const number = (value: string | undefined): number | null => (value === undefined || value === "" ? null : Number(value));
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  return {
    messageId: message.MessageId ?? "",
    group: a.MessageGroupId ?? null,
    sequenceNumber: a.SequenceNumber ?? null,
    // The listing's own receive counted once; report the count as it was.
    receiveCount: Math.max(0, (number(a.ApproximateReceiveCount) ?? 1) - 1),
    sentTimestamp: number(a.SentTimestamp) ?? 0,
    firstReceiveTimestamp: number(a.ApproximateFirstReceiveTimestamp),
    sizeBytes: messageSize(message),
    body: message.Body ?? "",
    sourceQueueArn: a.DeadLetterQueueSourceArn ?? null,
    attributes,
  };
}

function oldestFirst(a: DeadLetter, b: DeadLetter): number {
  if (a.sequenceNumber !== null && b.sequenceNumber !== null) {
    const x = BigInt(a.sequenceNumber);
    const y = BigInt(b.sequenceNumber);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a.sentTimestamp - b.sentTimestamp;
}

export async function peekDeadLetters(sqs: SQSClient, queueUrl: string, options: { limit: number; signal?: AbortSignal }): Promise<PeekResult> {
  const depth = await queueDepth(sqs, queueUrl);
  const seen = new Map<string, DeadLetter>();
  const handles: string[] = [];
  let releaseProblem: string | null = null;
  try {
    while (seen.size < options.limit && options.signal?.aborted !== true) {
      const reply = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(RECEIVE_BATCH, options.limit - seen.size),
          VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      const messages = reply.Messages ?? [];
      let fresh = 0;
      for (const message of messages) {
        if (message.ReceiptHandle !== undefined) handles.push(message.ReceiptHandle);
        if (message.MessageId === undefined || seen.has(message.MessageId)) continue;
        seen.set(message.MessageId, toDeadLetter(message));
        fresh += 1;
      }
      // Nothing new: the queue is walked (or the walk outlasted the visibility timeout).
      if (fresh === 0) break;
    }
  } finally {
    releaseProblem = await release(sqs, queueUrl, handles);
  }
  const messages = [...seen.values()].sort(oldestFirst);
  return { messages, depth, complete: messages.length >= depth.visible + depth.inFlight, releaseProblem };
}

/** Hands the messages back (ChangeMessageVisibility 0), ten per call. */
async function release(sqs: SQSClient, queueUrl: string, handles: readonly string[]): Promise<string | null> {
  let failed = 0;
  let problem: string | null = null;
  for (let i = 0; i < handles.length; i += RECEIVE_BATCH) {
    const entries = handles.slice(i, i + RECEIVE_BATCH).map((handle, n) => ({ Id: `m${i + n}`, ReceiptHandle: handle, VisibilityTimeout: 0 }));
    try {
      const reply = await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      failed += (reply.Failed ?? []).length;
    } catch (error) {
      failed += entries.length;
      problem = describeError(error);
    }
  }
  if (failed === 0) return null;
  return `${failed} message(s) could not be handed back at once${problem ? ` (${problem})` : ""}; they reappear within ${PEEK_VISIBILITY_SECONDS} s`;
}
