import { randomUUID } from "node:crypto";
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { FakeQueue } from "./fake-pattern-server.js";

/**
 * A real SQS FIFO queue (on the local cloud) between the fake API and the fake function: frames
 * are sent with SendMessage as API Gateway's integration would, and drained with ReceiveMessage and
 * DeleteMessageBatch as the event source mapping would, so queue depth is real.
 */
export async function createSqsFakeQueue(
  sqs: SQSClient,
  name = `burst-test-${randomUUID().slice(0, 8)}.fifo`,
): Promise<{ queueUrl: string; queue: FakeQueue }> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: "true", VisibilityTimeout: "30" } }));
  const queueUrl = created.QueueUrl as string;
  const queue: FakeQueue = {
    async enqueue(body, connectionId, requestTimeEpoch) {
      const group = (JSON.parse(body) as { MessageGroupId?: string }).MessageGroupId ?? connectionId;
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageGroupId: group,
          MessageDeduplicationId: randomUUID(),
          MessageAttributes: {
            connectionId: { DataType: "String", StringValue: connectionId },
            requestTimeEpoch: { DataType: "Number", StringValue: String(requestTimeEpoch) },
          },
        }),
      );
    },
    async drain() {
      const reply = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageAttributeNames: ["All"],
          MessageSystemAttributeNames: ["All"],
        }),
      );
      const messages = reply.Messages ?? [];
      if (messages.length === 0) return [];
      await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })) }),
      );
      return messages.map((m) => ({
        body: m.Body ?? "",
        connectionId: m.MessageAttributes?.connectionId?.StringValue ?? "",
        requestTimeEpoch: Number(m.MessageAttributes?.requestTimeEpoch?.StringValue ?? Date.now()),
        messageId: m.MessageId ?? "",
        sequenceNumber: m.Attributes?.SequenceNumber ?? null,
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? "1"),
      }));
    },
  };
  return { queueUrl, queue };
}
