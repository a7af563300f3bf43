import { ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { describeError } from "../../shared/errors.js";
import type { DlqFinding } from "./types.js";

/**
 * What the burst asks of the queue: its depth, through GetQueueAttributes, the same call on AWS
 * and on the local cloud. CloudWatch's one-minute metrics are far too coarse for a burst that
 * lasts seconds; these attributes are approximate and, per the SQS API reference, may lag for
 * about a minute after producers stop on AWS (the local cloud's are exact).
 */
export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

export interface QueueProbe {
  depth(): Promise<QueueDepth>;
}

const DEPTH_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"] as const;

export function sqsQueueProbe(client: SQSClient, queueUrl: string): QueueProbe {
  return {
    async depth() {
      const reply = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...DEPTH_ATTRIBUTES] }));
      const attribute = (name: string) => Number(reply.Attributes?.[name as keyof typeof reply.Attributes] ?? 0) || 0;
      return {
        visible: attribute("ApproximateNumberOfMessages"),
        inFlight: attribute("ApproximateNumberOfMessagesNotVisible"),
        delayed: attribute("ApproximateNumberOfMessagesDelayed"),
      };
    },
  };
}

/** ReceiveMessage returns at most 10 messages per call (SQS API reference). */
const RECEIVE_BATCH = 10;
/** How many receive rounds a DLQ inspection may make before it calls its finding partial. */
export const DLQ_INSPECTION_ROUNDS = 30;
/** Long enough to page through the DLQ without seeing a message twice; handed back right after. */
const PEEK_VISIBILITY_SECONDS = 30;

/**
 * Look for this run's lost messages in the dead-letter queue, by the id in their body. SQS has no
 * peek: messages are received with a short visibility timeout and then made visible again at once
 * (ChangeMessageVisibility to 0), so the DLQ is left as found except for ApproximateReceiveCount.
 * A FIFO queue hands out no further messages of a group while one is in flight, so one inspection
 * sees at most one page per group; `partial` says when it could not see everything.
 */
export async function inspectDeadLetterQueue(client: SQSClient, dlqUrl: string, lostIds: ReadonlySet<string>): Promise<DlqFinding> {
  let depth: DlqFinding["depth"] = null;
  try {
    const probe = await sqsQueueProbe(client, dlqUrl).depth();
    depth = { visible: probe.visible, inFlight: probe.inFlight };
  } catch (error) {
    return { depth: null, lostIds: [], partial: true, error: describeError(error) };
  }
  if (lostIds.size === 0 || depth.visible === 0) return { depth, lostIds: [], partial: false, error: null };

  const found = new Set<string>();
  const handles: string[] = [];
  let seen = 0;
  let error: string | null = null;
  try {
    for (let round = 0; round < DLQ_INSPECTION_ROUNDS && found.size < lostIds.size; round++) {
      const reply = await client.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: RECEIVE_BATCH, VisibilityTimeout: PEEK_VISIBILITY_SECONDS, WaitTimeSeconds: 0 }),
      );
      const messages = reply.Messages ?? [];
      if (messages.length === 0) break;
      for (const message of messages) {
        seen += 1;
        if (message.ReceiptHandle) handles.push(message.ReceiptHandle);
        const id = idInBody(message.Body);
        if (id !== undefined && lostIds.has(id)) found.add(id);
      }
    }
  } catch (caught) {
    error = describeError(caught);
  } finally {
    error = (await releaseMessages(client, dlqUrl, handles)) ?? error;
  }
  return { depth, lostIds: [...found].sort(), partial: found.size < lostIds.size && seen < depth.visible, error };
}

function idInBody(body: string | undefined): string | undefined {
  if (body === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && typeof (parsed as { id?: unknown }).id === "string") return (parsed as { id: string }).id;
  } catch {
    // Not a message in the pattern's format: someone else's.
  }
  return undefined;
}

async function releaseMessages(client: SQSClient, queueUrl: string, handles: readonly string[]): Promise<string | null> {
  let problem: string | null = null;
  for (let i = 0; i < handles.length; i += RECEIVE_BATCH) {
    const entries = handles.slice(i, i + RECEIVE_BATCH).map((handle, n) => ({ Id: `m${i + n}`, ReceiptHandle: handle, VisibilityTimeout: 0 }));
    try {
      const reply = await client.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      if ((reply.Failed ?? []).length > 0) problem = `could not make ${reply.Failed?.length} inspected DLQ message(s) visible again`;
    } catch (error) {
      problem = `could not make inspected DLQ messages visible again: ${describeError(error)}`;
    }
  }
  return problem;
}
