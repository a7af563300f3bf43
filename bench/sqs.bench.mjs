// SQS benchmark: durable SendMessage through @aws-sdk/client-sqs (1 and 32 concurrent senders)
// and the receive+delete drain rate, each next to raw better-sqlite3 inserts with the same
// durability (WAL, synchronous=FULL) measured in this run. The local cloud runs in a child
// process, as `wsq local start` runs it; the clients run here. Targets (2 cores): >= 5,000
// acknowledged sends/s with 32 senders, drain >= 5,000 messages/s.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";

const root = fileURLToPath(new URL("..", import.meta.url));
const SEND_SECONDS = 4;
const DRAIN_MESSAGES = 20_000;
const work = mkdtempSync(join(tmpdir(), "wsq-bench-sqs-"));

function rate(count, ms) {
  return (count / ms) * 1000;
}
const fmt = (n) => Math.round(n).toLocaleString("en-US");

// ------------------------------------------------------------------ baseline: raw SQLite
function rawSqlite() {
  const db = new Database(join(work, "raw.sqlite"));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec("CREATE TABLE m (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT, body TEXT, sent_at INTEGER)");
  const insert = db.prepare("INSERT INTO m (queue, body, sent_at) VALUES (?, ?, ?)");
  const body = JSON.stringify({ MessageGroupId: "g", data: "x".repeat(64) });

  let n = 0;
  let start = performance.now();
  while (performance.now() - start < 2000) {
    insert.run("q", body, Date.now());
    n++;
  }
  const perInsert = rate(n, performance.now() - start);

  const grouped = db.transaction((count) => {
    for (let i = 0; i < count; i++) insert.run("q", body, Date.now());
  });
  n = 0;
  start = performance.now();
  while (performance.now() - start < 2000) {
    grouped(32);
    n += 32;
  }
  const perGroup = rate(n, performance.now() - start);
  db.close();
  return { perInsert, perGroup };
}

// ------------------------------------------------------------------ the local cloud
async function startCloud() {
  const module = pathToFileURL(join(root, "dist/local/server/local-cloud.js")).href;
  const script = `const { startLocalCloud } = await import(${JSON.stringify(module)});
const cloud = await startLocalCloud({ dataDir: ${JSON.stringify(join(work, "cloud"))}, port: 0 });
process.stdout.write(JSON.stringify({ url: cloud.url }) + "\\n");
process.on("SIGTERM", () => cloud.stop().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = await once(createInterface({ input: child.stdout }), "line");
  return { child, url: JSON.parse(line).url };
}

async function sends(client, url, senders, seconds) {
  let count = 0;
  let serial = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: senders }, async (_, s) => {
      while (performance.now() < deadline) {
        const i = serial++;
        await client.send(
          new SendMessageCommand({
            QueueUrl: url,
            MessageBody: JSON.stringify({ MessageGroupId: `g${s}`, data: `message ${i}` }),
            MessageGroupId: `g${s}`,
            MessageDeduplicationId: `d${i}`,
            MessageAttributes: { connectionId: { DataType: "String", StringValue: "L0SM9cOFvHcCIhw=" } },
          }),
        );
        count++;
      }
    }),
  );
  return rate(count, performance.now() - start);
}

async function fill(client, url, total, groups) {
  const batches = total / 10;
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < batches) {
        const b = next++;
        await client.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: Array.from({ length: 10 }, (_, k) => ({
              Id: `e${k}`,
              MessageBody: `drain ${b * 10 + k}`,
              MessageGroupId: `g${(b * 10 + k) % groups}`,
              MessageDeduplicationId: `f${b * 10 + k}`,
            })),
          }),
        );
      }
    }),
  );
}

async function drain(client, url, total, consumers) {
  let received = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: consumers }, async () => {
      while (received < total) {
        const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"] }));
        if (!got.Messages) continue;
        received += got.Messages.length;
        await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: got.Messages.map((m, k) => ({ Id: `d${k}`, ReceiptHandle: m.ReceiptHandle })) }));
      }
    }),
  );
  return rate(received, performance.now() - start);
}

const raw = rawSqlite();
const { child, url: endpoint } = await startCloud();
try {
  const client = new SQSClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const { QueueUrl: sendQueue } = await client.send(new CreateQueueCommand({ QueueName: "bench-send.fifo", Attributes: { FifoQueue: "true" } }));
  const one = await sends(client, sendQueue, 1, SEND_SECONDS);
  const many = await sends(client, sendQueue, 32, SEND_SECONDS);

  const { QueueUrl: drainQueue } = await client.send(new CreateQueueCommand({ QueueName: "bench-drain.fifo", Attributes: { FifoQueue: "true" } }));
  await fill(client, drainQueue, DRAIN_MESSAGES, 64);
  const drained = await drain(client, drainQueue, DRAIN_MESSAGES, 8);

  const rows = [
    ["raw SQLite insert, one commit each (baseline)", raw.perInsert, ""],
    ["raw SQLite insert, 32 per commit (baseline)", raw.perGroup, ""],
    ["SDK SendMessage, 1 sender", one, `${(one / raw.perInsert).toFixed(2)}x raw per-commit`],
    ["SDK SendMessage, 32 senders", many, `${(many / raw.perInsert).toFixed(2)}x raw per-commit, ${(many / raw.perGroup).toFixed(2)}x raw grouped; target 5,000: ${many >= 5000 ? "met" : "MISSED"}`],
    ["receive(10)+deleteBatch drain, FIFO 64 groups, 8 consumers", drained, `${(drained / raw.perGroup).toFixed(2)}x raw grouped; target 5,000: ${drained >= 5000 ? "met" : "MISSED"}`],
  ];
  for (const [name, value, note] of rows) process.stdout.write(`${name.padEnd(62)} ${fmt(value).padStart(8)} msg/s  ${note}\n`);
} finally {
  child.kill("SIGTERM");
  await once(child, "exit");
  rmSync(work, { recursive: true, force: true });
}
