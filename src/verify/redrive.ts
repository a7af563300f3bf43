/**
 * The redrive experiment of `wsq verify`: what SQS does to a message it dead-letters from a FIFO
 * queue and a move task brings back, which the echo handler relies on to void a redriven
 * message's `fail` directive (src/handler/directives.ts). It runs on a pair of FIFO queues of its
 * own, created and deleted here, so that a stack is never touched: one message, sent as API
 * Gateway's template sends it (deduplication id = request id = a message attribute), received
 * twice with a zero visibility timeout under maxReceiveCount 1 (so SQS moves it to the DLQ), then
 * moved back with StartMessageMoveTask and received once more. The same calls on both targets.
 */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { abortableDelay } from "../shared/delay.js";
import { describeError } from "../shared/errors.js";
import type { RedriveObservation } from "./observations.js";

/** The redrive starts at least this long after the send, so that a new SentTimestamp shows. */
export const REDRIVE_GAP_MS = 2000;

function number(value: string | undefined): number | null {
  return value === undefined || value === "" || !Number.isFinite(Number(value)) ? null : Number(value);
}

async function arnOf(sqs: SQSClient, url: string): Promise<string> {
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`${url} reported no QueueArn`);
  return arn;
}

async function receive(sqs: SQSClient, url: string, waitSeconds: number): Promise<Message | undefined> {
  const reply = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 1,
      VisibilityTimeout: 0,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    }),
  );
  return reply.Messages?.[0];
}

/** Polls until `probe` answers, or `deadline` (epoch ms) passes. */
async function until<T>(deadline: number, what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen in time`);
    await abortableDelay(500, undefined);
  }
}

export async function observeRedrive(sqs: SQSClient, runId: string, waitMs: number): Promise<RedriveObservation> {
  const requestId = `verify-${runId}-request`;
  const observation: RedriveObservation = { requestId, original: null, redriven: null, gapMs: null, error: null };
  const created: string[] = [];
  try {
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `wsq-verify-${runId}-redrive-dlq.fifo`, Attributes: { FifoQueue: "true" } }))).QueueUrl;
    if (dlqUrl === undefined) throw new Error("CreateQueue returned no QueueUrl");
    created.push(dlqUrl);
    const dlqArn = await arnOf(sqs, dlqUrl);
    const sourceUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: `wsq-verify-${runId}-redrive.fifo`,
          Attributes: { FifoQueue: "true", RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
        }),
      )
    ).QueueUrl;
    if (sourceUrl === undefined) throw new Error("CreateQueue returned no QueueUrl");
    created.push(sourceUrl);
    const sourceArn = await arnOf(sqs, sourceUrl);

    const sentAt = Date.now();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: sourceUrl,
        MessageBody: JSON.stringify({ action: "send", id: `verify-${runId}-redriven`, wsq: { fail: "always" }, data: "redrive" }),
        MessageGroupId: "verify",
        MessageDeduplicationId: requestId,
        MessageAttributes: { requestId: { DataType: "String", StringValue: requestId } },
      }),
    );
    const deadline = Date.now() + waitMs;
    const first = await until(deadline, "receiving the message", () => receive(sqs, sourceUrl, 1));
    observation.original = {
      messageId: first.MessageId ?? "",
      deduplicationId: first.Attributes?.MessageDeduplicationId ?? null,
      sentTimestamp: number(first.Attributes?.SentTimestamp),
    };
    // Its second receive exceeds maxReceiveCount 1: SQS moves it to the DLQ instead of returning it.
    await until(deadline, "the move to the dead-letter queue", async () => {
      await receive(sqs, sourceUrl, 0);
      const depth = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ["ApproximateNumberOfMessages"] }))).Attributes;
      return Number(depth?.ApproximateNumberOfMessages ?? 0) > 0 ? true : undefined;
    });
    await abortableDelay(Math.max(0, sentAt + REDRIVE_GAP_MS - Date.now()), undefined);
    observation.gapMs = Date.now() - sentAt;
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: sourceArn }));
    const back = await until(deadline + waitMs, "the redriven message's return", () => receive(sqs, sourceUrl, 1));
    observation.redriven = {
      messageId: back.MessageId ?? "",
      deduplicationId: back.Attributes?.MessageDeduplicationId ?? null,
      sentTimestamp: number(back.Attributes?.SentTimestamp),
      receiveCount: number(back.Attributes?.ApproximateReceiveCount) ?? 0,
      requestIdAttribute: back.MessageAttributes?.requestId?.StringValue ?? null,
    };
  } catch (error) {
    observation.error = describeError(error);
  } finally {
    for (const url of created.reverse()) await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
  }
  return observation;
}
