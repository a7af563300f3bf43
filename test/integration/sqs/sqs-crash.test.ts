import { describe, expect, it, onTestFinished } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { tempDir } from "../../helpers/local-cloud.js";
import { LOCAL_CREDENTIALS } from "../../../src/shared/target.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The built local cloud (npm test builds first), as `wsq local start` runs it: the child needs
 * dist/ for what the build writes beside the code (the CloudFormation resource specifications).
 */
const builtLocalCloud = join(root, "dist/local/server/local-cloud.js");

async function startChild(modulePath: string, dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(root, "test/helpers/sqs-crash-child.mjs"), modulePath, dataDir], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([once(lines, "line"), once(child, "exit").then(() => [undefined])])) as [string | undefined];
  if (line === undefined) throw new Error("the local cloud child exited before listening");
  return { child, url: (JSON.parse(line) as { url: string }).url };
}

function client(url: string): SQSClient {
  return new SQSClient({ endpoint: url, region: "us-east-1", credentials: { ...LOCAL_CREDENTIALS } });
}

describe("SQS durability across kill -9", () => {
  it("keeps every acknowledged message, FIFO order and visibility deadlines", async () => {
    const work = tempDir("wsq-sqs-crash-");
    onTestFinished(() => rmSync(work, { recursive: true, force: true }));
    const localCloudModule = builtLocalCloud;
    const dataDir = join(work, "data");

    const first = await startChild(localCloudModule, dataDir);
    let sqs = client(first.url);
    await sqs.send(new CreateQueueCommand({ QueueName: "crash.fifo", Attributes: { FifoQueue: "true" } }));
    await sqs.send(new CreateQueueCommand({ QueueName: "held" }));
    // Two of three messages received with a long visibility timeout: still invisible after the restart.
    for (const body of ["h1", "h2", "h3"]) await sqs.send(new SendMessageCommand({ QueueUrl: `${first.url}/000000000000/held`, MessageBody: body }));
    const held = await sqs.send(new ReceiveMessageCommand({ QueueUrl: `${first.url}/000000000000/held`, MaxNumberOfMessages: 2, VisibilityTimeout: 600 }));
    expect(held.Messages).toHaveLength(2);

    // Groups send concurrently (so commits are grouped); within a group, one after another.
    // The process is killed while sends are still in flight: every acknowledged one must survive.
    const groups = 4;
    const killAfter = 200;
    let total = 0;
    let killed = false;
    const acknowledged: string[][] = Array.from({ length: groups }, () => []);
    const exited = once(first.child, "exit");
    await Promise.all(
      Array.from({ length: groups }, async (_, g) => {
        for (let i = 0; !killed; i++) {
          try {
            const sent = await sqs.send(
              new SendMessageCommand({
                QueueUrl: `${first.url}/000000000000/crash.fifo`,
                MessageBody: `${g}:${i}`,
                MessageGroupId: `g${g}`,
                MessageDeduplicationId: `${g}-${i}`,
              }),
            );
            if (killed) return; // answered after the kill signal went out: not counted either way
            (acknowledged[g] as string[]).push(sent.MessageId as string);
          } catch {
            return;
          }
          if (++total === killAfter) {
            killed = true;
            first.child.kill("SIGKILL");
          }
        }
      }),
    );
    await exited;
    expect(total).toBeGreaterThanOrEqual(killAfter);

    const second = await startChild(localCloudModule, dataDir);
    sqs = client(second.url);
    const fifoUrl = `${second.url}/000000000000/crash.fifo`;
    const received = new Map<number, string[]>();
    for (;;) {
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: fifoUrl, MaxNumberOfMessages: 10 }));
      if (!got.Messages) break;
      for (const m of got.Messages) {
        const g = Number((m.Body as string).split(":")[0]);
        received.set(g, [...(received.get(g) ?? []), m.MessageId as string]);
      }
      await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: fifoUrl, Entries: got.Messages.map((m, k) => ({ Id: `e${k}`, ReceiptHandle: m.ReceiptHandle })) }),
      );
    }
    // Each group comes back in send order: the acknowledged messages first, then at most the
    // few that were committed but whose reply the kill cut off.
    for (let g = 0; g < groups; g++) {
      const got = received.get(g) ?? [];
      expect(got.slice(0, (acknowledged[g] as string[]).length)).toEqual(acknowledged[g]);
      expect(got.length - (acknowledged[g] as string[]).length).toBeLessThanOrEqual(1);
    }

    const heldUrl = `${second.url}/000000000000/held`;
    const counts = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: heldUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
    );
    expect(counts.Attributes).toEqual({ ApproximateNumberOfMessages: "1", ApproximateNumberOfMessagesNotVisible: "2" });
    const visible = await sqs.send(new ReceiveMessageCommand({ QueueUrl: heldUrl, MaxNumberOfMessages: 10 }));
    expect(visible.Messages).toHaveLength(1);

    second.child.kill("SIGTERM");
    await once(second.child, "exit");
  });

  it("keeps acknowledged receives, deletes and visibility changes, which commit without an fsync of their own", async () => {
    const work = tempDir("wsq-sqs-crash-");
    onTestFinished(() => rmSync(work, { recursive: true, force: true }));
    const localCloudModule = builtLocalCloud;
    const dataDir = join(work, "data");

    const first = await startChild(localCloudModule, dataDir);
    let sqs = client(first.url);
    let queueUrl = `${first.url}/000000000000/consumed.fifo`;
    await sqs.send(new CreateQueueCommand({ QueueName: "consumed.fifo", Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } }));
    for (const group of ["a", "b", "c"]) {
      for (const n of [1, 2]) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `${group}${n}`, MessageGroupId: group }));
    }
    // After the last send (the last fsync'd commit): group a's messages deleted, b's held for ten
    // minutes, c's first one received and handed straight back. Then kill -9, with nothing else
    // committed: only the WAL in the kernel's page cache holds these.
    const bodies = async (max: number, visibility?: number) =>
      (
        await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max, ...(visibility !== undefined ? { VisibilityTimeout: visibility } : {}) }),
        )
      ).Messages ?? [];
    const a = await bodies(2, 600);
    expect(a.map((m) => m.Body)).toEqual(["a1", "a2"]);
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: a.map((m, k) => ({ Id: `d${k}`, ReceiptHandle: m.ReceiptHandle })) }),
    );
    expect(deleted.Successful).toHaveLength(2);
    expect((await bodies(2, 600)).map((m) => m.Body)).toEqual(["b1", "b2"]);
    const [c1] = await bodies(1, 600);
    expect(c1?.Body).toBe("c1");
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: c1!.ReceiptHandle, VisibilityTimeout: 0 }));
    const exited = once(first.child, "exit");
    first.child.kill("SIGKILL");
    await exited;

    const second = await startChild(localCloudModule, dataDir);
    onTestFinished(async () => {
      second.child.kill("SIGTERM");
      await once(second.child, "exit");
    });
    sqs = client(second.url);
    queueUrl = `${second.url}/000000000000/consumed.fifo`;
    const counts = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
    );
    // a: gone; b: still in flight; c: both visible again, c1 first, its receive counted.
    expect(counts.Attributes).toEqual({ ApproximateNumberOfMessages: "2", ApproximateNumberOfMessagesNotVisible: "2" });
    const again = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }),
    );
    expect(again.Messages?.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([
      ["c1", "2"],
      ["c2", "1"],
    ]);
  });
});
