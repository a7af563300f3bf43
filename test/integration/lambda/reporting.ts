/** Handlers that report each batch they see to a second queue, for the mapping tests. */
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { receiveAll } from "./helpers.js";

export interface Seen {
  pid: number;
  start: number;
  end: number;
  records: { messageId: string; body: string; group: string; receiveCount: number; record?: unknown }[];
}

/** The handler reports each batch to REPORT_QUEUE_URL, then answers per `behaviour` (the body of the source). */
export function reportingHandler(behaviour: string): string {
  return `
const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");
const sqs = new SQSClient({});
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
exports.handler = async (event) => {
  const start = Date.now();
  await pause(Number(process.env.PAUSE_MS || 0));
  const records = event.Records.map((r) => ({ messageId: r.messageId, body: r.body, group: r.attributes.MessageGroupId, receiveCount: Number(r.attributes.ApproximateReceiveCount), record: process.env.FULL ? r : undefined }));
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.REPORT_QUEUE_URL, MessageBody: JSON.stringify({ pid: process.pid, start, end: Date.now(), records }) }));
  ${behaviour}
};`;
}

export async function reports(sqs: SQSClient, queueUrl: string, records: number): Promise<Seen[]> {
  const seen: Seen[] = [];
  let count = 0;
  const deadline = Date.now() + 25_000;
  while (count < records && Date.now() < deadline) {
    for (const message of await receiveAll(sqs, queueUrl, 1, 2_000)) {
      const batch = JSON.parse(message.Body ?? "{}") as Seen;
      seen.push(batch);
      count += batch.records.length;
    }
  }
  return seen;
}

export async function sendGroups(
  sqs: SQSClient,
  queueUrl: string,
  groups: number,
  perGroup: number,
  body = (g: number, i: number) => `g${g}-${i}`,
): Promise<void> {
  // Interleaved, so batches mix groups as a real burst does.
  const messages: { group: number; index: number }[] = [];
  for (let index = 0; index < perGroup; index++) for (let group = 0; group < groups; group++) messages.push({ group, index });
  for (let start = 0; start < messages.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.slice(start, start + 10).map((m, i) => ({
          Id: String(i),
          MessageBody: body(m.group, m.index),
          MessageGroupId: `g${m.group}`,
          MessageDeduplicationId: `g${m.group}-${m.index}`,
        })),
      }),
    );
  }
}
