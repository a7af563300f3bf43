import { LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { DaemonState } from "../../src/local/daemon/state.js";
import { buildMessage } from "../../src/shared/pattern-messages.js";
import { LOCAL_CREDENTIALS } from "../../src/shared/target.js";
import { killRecorded, runWsq } from "../cli/local-helpers.js";
import { eventually, sleep } from "../helpers/eventually.js";
import { tempDir } from "../helpers/local-cloud.js";
import { messagesIn, stackOutputs } from "../helpers/pattern-stack.js";

// kill -9 of the local cloud while the function drains a burst, then a restart on the same data:
// every message the gateway accepted is processed, each group in order, and only messages that
// were in flight at the kill are processed twice (as SQS allows). Bounded: 2,000 messages.

const GROUPS = 10;
/** 200 per group in CI; `WSQ_KILL9_PER_GROUP=1000` runs the 10,000 by hand. */
const PER_GROUP = Number(process.env.WSQ_KILL9_PER_GROUP ?? 200);
const TOTAL = GROUPS * PER_GROUP;
const home = tempDir("wsq-kill9-");

afterAll(async () => {
  await runWsq(["local", "stop"], home);
  killRecorded(`${home}/local`);
  rmSync(home, { recursive: true, force: true });
}, 30_000);

describe("kill -9 of the local cloud in the middle of a burst", () => {
  it("loses nothing the gateway accepted, keeps every group's order, and redelivers only what was in flight", async () => {
    const started = await runWsq(["local", "start", "--port", "0", "--json"], home);
    expect(started.code, started.stderr).toBe(0);
    const state = JSON.parse(started.stdout) as DaemonState;
    const config = { endpoint: state.url, region: state.region, credentials: LOCAL_CREDENTIALS };
    const sqs = new SQSClient(config);
    const lambda = new LambdaClient(config);
    try {
      // The handler records every message it processes, in processing order per group, in an
      // audit FIFO queue; the results it posts back cannot outlive the killed connections. The
      // audit queue is high-throughput: the ten groups are drained in parallel, faster together
      // than the 300 SendMessage/s of a normal FIFO queue, while one group's 200 stay within its own.
      const { QueueUrl: auditUrl } = await sqs.send(
        new CreateQueueCommand({
          QueueName: "audit.fifo",
          Attributes: { FifoQueue: "true", DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" },
        }),
      );
      const handler = join(home, "audit-handler.mjs");
      writeFileSync(
        handler,
        [
          'import { SQSClient, SendMessageCommand } from "@aws-sdk/client-sqs";',
          "const sqs = new SQSClient({});",
          "export async function process(message, context) {",
          '  const url = globalThis.process.env.AWS_ENDPOINT_URL + "/000000000000/audit.fifo";',
          "  const body = JSON.stringify({ id: message.id, group: message.MessageGroupId, sequenceNumber: context.sequenceNumber, receiveCount: context.receiveCount });",
          '  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: message.MessageGroupId, MessageDeduplicationId: message.id + "-" + Math.random() }));',
          "  return message.seq;",
          "}",
        ].join("\n"),
      );
      const deploy = await runWsq(
        [
          "deploy",
          "--yes",
          "--handler",
          handler,
          "--parameter",
          "FunctionTimeoutSeconds=5",
          "--parameter",
          "ThrottlingRateLimit=10000",
          "--parameter",
          "ThrottlingBurstLimit=5000",
        ],
        home,
        120_000,
      );
      expect(deploy.code, deploy.stderr).toBe(0);
      const outputs = await stackOutputs(config, "wsq");

      // 1. The function is paused, so the whole burst is accepted into the queue first.
      const uuid = (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: outputs.FunctionName }))).EventSourceMappings![0]!.UUID!;
      await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
      const sockets = await Promise.all(
        Array.from({ length: GROUPS }, async () => {
          const socket = new WebSocket(outputs.WebSocketUrl);
          await new Promise<void>((resolve, reject) => socket.once("open", () => resolve()).once("error", reject));
          return socket;
        }),
      );
      // 1,000 frames per 200 ms across the connections: under the stage's 10,000/s, 5,000 burst.
      for (let start = 1; start <= PER_GROUP; start += 100) {
        sockets.forEach((socket, g) => {
          for (let seq = start; seq < start + 100 && seq <= PER_GROUP; seq++) socket.send(buildMessage({ id: `g${g}-${seq}`, group: `g${g}`, seq, data: seq }));
        });
        await sleep(200);
      }
      const depth = (url: string) => messagesIn(sqs, url);
      await eventually(async () => (await depth(outputs.QueueUrl)) === TOTAL, "the burst to be queued", 60_000, 100);

      // 2. The function drains; once a few hundred are processed, the local cloud is killed.
      await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
      await eventually(async () => (await depth(auditUrl!)) >= 300, "processing to be under way", 60_000, 100);
      process.kill(state.pid, "SIGKILL");
      for (const socket of sockets) socket.terminate();

      // 3. Restart on the same data directory and port: the mapping resumes by itself.
      const restarted = await runWsq(["local", "start", "--port", String(state.port), "--json"], home);
      expect(restarted.code, restarted.stderr).toBe(0);
      expect(JSON.parse(restarted.stdout)).toMatchObject({ alreadyRunning: false });
      expect((JSON.parse(restarted.stdout) as DaemonState).pid).not.toBe(state.pid);

      // 4. Read the audit log until every message has been processed at least once. Messages in
      //    flight at the kill come back after their visibility timeout (6 x 5 s).
      const seen = new Map<string, number>();
      const order = new Map<string, bigint[]>();
      let records = 0;
      await eventually(
        async () => {
          const batch = await sqs.send(new ReceiveMessageCommand({ QueueUrl: auditUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 300 }));
          for (const m of batch.Messages ?? []) {
            const record = JSON.parse(m.Body!) as { id: string; group: string; sequenceNumber: string };
            records += 1;
            seen.set(record.id, (seen.get(record.id) ?? 0) + 1);
            order.set(record.group, [...(order.get(record.group) ?? []), BigInt(record.sequenceNumber)]);
          }
          if ((batch.Messages ?? []).length > 0) {
            await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: auditUrl,
                Entries: batch.Messages!.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
              }),
            );
          }
          return seen.size === TOTAL;
        },
        "every message to be processed",
        150_000,
        100,
      );

      expect(seen.size).toBe(TOTAL);
      // In order per group, the queue's order (its sequence numbers; frames sent together may
      // reach it in another order than sent): a redelivery may repeat a run of the group, never
      // skip ahead of it.
      for (const [group, processed] of order) {
        const queued = [...new Set(processed)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(queued, `group ${group}`).toHaveLength(PER_GROUP);
        let highest = -1;
        for (const sequenceNumber of processed) {
          const position = queued.indexOf(sequenceNumber);
          expect(position, `group ${group}`).toBeLessThanOrEqual(highest + 1);
          highest = Math.max(highest, position);
        }
        expect(highest).toBe(PER_GROUP - 1);
      }
      // Only what was in flight can come twice: at most MaximumConcurrency (10) batches of 10.
      const repeats = records - TOTAL;
      expect(repeats).toBeLessThanOrEqual(100);
      expect(await depth(outputs.QueueUrl)).toBe(0);
      expect(await depth(outputs.DeadLetterQueueUrl)).toBe(0);
      console.log(`kill -9 test: ${TOTAL} messages, ${repeats} processed twice (in flight at the kill), ${seen.size} distinct processed`);
    } finally {
      sqs.destroy();
      lambda.destroy();
    }
  }, 300_000);
});
