import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { DaemonState } from "../../src/local/daemon/state.js";
import { LOCAL_CREDENTIALS } from "../../src/shared/target.js";
import { killRecorded, runWsq } from "../cli/local-helpers.js";
import { eventually } from "../helpers/eventually.js";
import { tempDir } from "../helpers/local-cloud.js";

// kill -9 of the local cloud (the real daemon, `wsq local start`) while a message move task
// redrives a FIFO dead-letter queue, then a restart on the same data: the task resumes from what
// it had committed and completes; every message is back in its source queue exactly once, each
// group in order. Bounded: 300 messages at 50 per second.

const GROUPS = 5;
const PER_GROUP = 60;
const TOTAL = GROUPS * PER_GROUP;
const RATE = 50;
const home = tempDir("wsq-kill9-move-");

afterAll(async () => {
  await runWsq(["local", "stop"], home);
  killRecorded(`${home}/local`);
  rmSync(home, { recursive: true, force: true });
}, 30_000);

describe("kill -9 of the local cloud during a message move task", () => {
  it("resumes the task after the restart: nothing lost, nothing moved twice, each group in order", async () => {
    const started = await runWsq(["local", "start", "--port", "0", "--json"], home);
    expect(started.code, started.stderr).toBe(0);
    const state = JSON.parse(started.stdout) as DaemonState;
    const sqs = new SQSClient({ endpoint: state.url, region: state.region, credentials: LOCAL_CREDENTIALS });
    try {
      const { QueueUrl: dlq } = await sqs.send(new CreateQueueCommand({ QueueName: "dead.fifo", Attributes: { FifoQueue: "true" } }));
      const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
      const { QueueUrl: source } = await sqs.send(
        new CreateQueueCommand({
          QueueName: "work.fifo",
          Attributes: { FifoQueue: "true", RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) },
        }),
      );
      const count = async (url: string | undefined) => {
        const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }))).Attributes ?? {};
        return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
      };
      // The groups interleaved, as a burst over several connections sends them.
      for (let seq = 0; seq < PER_GROUP; seq += 2) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: source,
            Entries: Array.from({ length: GROUPS * 2 }, (_, k) => {
              const g = k % GROUPS;
              const s = seq + Math.floor(k / GROUPS);
              return { Id: `e${k}`, MessageBody: `g${g}:${s}`, MessageGroupId: `g${g}`, MessageDeduplicationId: `g${g}-${s}` };
            }),
          }),
        );
      }
      // Each message received once (maxReceiveCount 1); the next receives move it to the DLQ.
      await eventually(
        async () => {
          await sqs.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
          return (await count(dlq)) === TOTAL;
        },
        "every message to be dead-lettered",
        60_000,
        0,
      );

      await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, MaxNumberOfMessagesPerSecond: RATE }));
      const task = async () => (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }))).Results?.[0];
      const before = await eventually(async () => {
        const t = await task();
        return (t?.ApproximateNumberOfMessagesMoved ?? 0) >= RATE ? t : undefined;
      }, "the task to be under way");
      expect(before.Status).toBe("RUNNING");
      process.kill(state.pid, "SIGKILL");

      const restarted = await runWsq(["local", "start", "--port", String(state.port), "--json"], home);
      expect(restarted.code, restarted.stderr).toBe(0);
      expect((JSON.parse(restarted.stdout) as DaemonState).pid).not.toBe(state.pid);

      const after = await eventually(
        async () => {
          const t = await task();
          return t?.Status === "RUNNING" ? undefined : t;
        },
        "the resumed task to finish",
        60_000,
        100,
      );
      expect(after).toMatchObject({ Status: "COMPLETED", ApproximateNumberOfMessagesMoved: TOTAL, ApproximateNumberOfMessagesToMove: TOTAL });
      expect(await count(dlq)).toBe(0);

      const order = new Map<string, number[]>();
      for (;;) {
        const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: source, MaxNumberOfMessages: 10 }));
        if (!got.Messages) break;
        for (const m of got.Messages) {
          const [group, seq] = (m.Body as string).split(":") as [string, string];
          order.set(group, [...(order.get(group) ?? []), Number(seq)]);
        }
        await sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: source, Entries: got.Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) }),
        );
      }
      expect(order.size).toBe(GROUPS);
      for (const [group, seqs] of order) expect(seqs, group).toEqual(Array.from({ length: PER_GROUP }, (_, i) => i));
      console.log(`kill -9 during a move task: killed at ${before.ApproximateNumberOfMessagesMoved} of ${TOTAL} moved; all ${TOTAL} back once, in order`);
    } finally {
      sqs.destroy();
    }
  }, 180_000);
});
