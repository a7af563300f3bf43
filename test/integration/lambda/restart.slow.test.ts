/**
 * Durability across a restart: the local cloud is stopped while batches are in flight, started
 * again on the same data directory, and the mapping (stored, like the function and its code)
 * resumes: every message is processed, each group still in order, and the queue ends empty.
 */
import { describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { CreateQueueCommand, SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { startTestCloud, tempDir } from "../../helpers/local-cloud.js";
import { clients, createFunction, fifoQueueWithDlq, mapQueue, receiveAll } from "./helpers.js";

const HANDLER = `
const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");
const sqs = new SQSClient({});
exports.handler = async (event) => {
  for (const r of event.Records) {
    await sqs.send(new SendMessageCommand({ QueueUrl: process.env.REPORT_QUEUE_URL, MessageBody: JSON.stringify({ body: r.body, group: r.attributes.MessageGroupId }) }));
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  return {};
};`;

describe("Lambda event source mapping across a restart", () => {
  it("finishes every message after a stop with batches in flight", async () => {
    const dataDir = tempDir("wsq-lambda-restart-");
    try {
      const first = await startTestCloud({ dataDir, keepData: true });
      const port = first.port;
      let api = clients(first);
      const report = await api.sqs.send(new CreateQueueCommand({ QueueName: "reports" }));
      const { queueUrl, queueArn } = await fifoQueueWithDlq(api.sqs, "durable", { maxReceiveCount: 10, visibilityTimeout: 2 });
      await createFunction(api.lambda, "durable", { "index.js": HANDLER }, { Timeout: 2, Environment: { Variables: { REPORT_QUEUE_URL: report.QueueUrl! } } });
      const groups = 4;
      const perGroup = 15;
      for (let index = 0; index < perGroup; index++) {
        await api.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Array.from({ length: groups }, (_, g) => ({
              Id: `m${g}`,
              MessageBody: `g${g}-${index}`,
              MessageGroupId: `g${g}`,
              MessageDeduplicationId: `g${g}-${index}`,
            })),
          }),
        );
      }
      await mapQueue(api.lambda, "durable", queueArn, { batchSize: 10, maximumConcurrency: 2 });
      const before = await receiveAll(api.sqs, report.QueueUrl!, 1);
      expect(before.length).toBeGreaterThan(0);
      await first.stop();

      // Same port, so the report queue URL in the function's environment stays valid.
      const second = await startTestCloud({ dataDir, port, keepData: true });
      try {
        api = clients(second);
        const reported = before.map((m) => JSON.parse(m.Body ?? "{}") as { body: string; group: string });
        // Batches cut short by the stop are delivered again (at least once), so count distinct bodies.
        const deadline = Date.now() + 30_000;
        while (new Set(reported.map((r) => r.body)).size < groups * perGroup && Date.now() < deadline) {
          for (const m of await receiveAll(api.sqs, report.QueueUrl!, 1, 2_000)) reported.push(JSON.parse(m.Body ?? "{}") as { body: string; group: string });
        }
        for (let g = 0; g < groups; g++) {
          const firstSeen = [...new Set(reported.filter((r) => r.group === `g${g}`).map((r) => r.body))];
          expect(firstSeen).toEqual(Array.from({ length: perGroup }, (_, i) => `g${g}-${i}`));
        }
        expect(await receiveAll(api.sqs, queueUrl, 1, 3_000)).toEqual([]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
