// SQS benchmark: durable SendMessage through @aws-sdk/client-sqs (1 and 32 concurrent senders)
// and the receive+delete drain rate, each next to raw better-sqlite3 inserts with the same
// durability (WAL, synchronous=FULL) measured in this run. The local cloud runs in a child
// process, as `wsq local start` runs it; the clients run here. The old targets (5,000 acknowledged
// sends/s with 32 senders, a 5,000 messages/s drain) were retired by issue 18: the SDK client is the
// ceiling (the HTTP stub line); the figures stay for direction, against this run's baselines.
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
const SEND_SECONDS = 3;
const DRAIN_MESSAGES = 10_000;
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
  while (performance.now() - start < 1500) {
    insert.run("q", body, Date.now());
    n++;
  }
  const perInsert = rate(n, performance.now() - start);

  const grouped = db.transaction((count) => {
    for (let i = 0; i < count; i++) insert.run("q", body, Date.now());
  });
  n = 0;
  start = performance.now();
  while (performance.now() - start < 1500) {
    grouped(32);
    n += 32;
  }
  const perGroup = rate(n, performance.now() - start);
  db.close();
  return { perInsert, perGroup };
}

// ------------------------------------------------------------------ the local cloud
// Quotas off (as `wsq local start --no-quotas`): this bench measures the local SQS's own ceiling,
// thousands of sends and receives a second on one FIFO queue, which AWS would throttle at 300.
async function startCloud() {
  const module = pathToFileURL(join(root, "dist/local/server/local-cloud.js")).href;
  const script = `const { startLocalCloud } = await import(${JSON.stringify(module)});
const cloud = await startLocalCloud({ dataDir: ${JSON.stringify(join(work, "cloud"))}, port: 0, quotas: false });
process.stdout.write(JSON.stringify({ url: cloud.url }) + "\\n");
process.on("SIGTERM", () => cloud.stop().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = await once(createInterface({ input: child.stdout }), "line");
  return { child, url: JSON.parse(line).url };
}

/**
 * The HTTP ceiling of this machine: a bare node:http server in a child process answering every
 * SendMessage with a well-formed reply (the SDK checks the body MD5), no queue behind it.
 */
async function startStub() {
  const script = `import { createServer } from "node:http";
import { createHash } from "node:crypto";
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    const md5 = createHash("md5").update(input.MessageBody ?? "").digest("hex");
    res.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
    res.end(JSON.stringify({ MessageId: "00000000-0000-4000-8000-000000000000", MD5OfMessageBody: md5, SequenceNumber: "18000000000000000001" }));
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(JSON.stringify({ url: "http://127.0.0.1:" + server.address().port }) + "\\n"));`;
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
        const got = await client.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
        );
        if (!got.Messages) continue;
        received += got.Messages.length;
        await client.send(
          new DeleteMessageBatchCommand({ QueueUrl: url, Entries: got.Messages.map((m, k) => ({ Id: `d${k}`, ReceiptHandle: m.ReceiptHandle })) }),
        );
      }
    }),
  );
  return rate(received, performance.now() - start);
}

/**
 * Scale: 100,000 queued messages in a FIFO queue, filled in-process. Heap after GC must not grow
 * with the backlog (messages live in SQLite), and a receive at that depth stays an index lookup.
 */
async function depth() {
  const module = pathToFileURL(join(root, "dist/local/server/local-cloud.js")).href;
  const script = `const { startLocalCloud } = await import(${JSON.stringify(module)});
const cloud = await startLocalCloud({ dataDir: ${JSON.stringify(join(work, "depth"))}, port: 0, quotas: false });
const api = cloud.services.sqs.api;
const { QueueUrl } = await api.createQueue({ QueueName: "depth.fifo", Attributes: { FifoQueue: "true" } });
const heap = () => { globalThis.gc(); globalThis.gc(); return process.memoryUsage().heapUsed; };
const timeReceives = async (n) => {
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const got = await api.receiveMessage({ QueueUrl, MaxNumberOfMessages: 10 });
    await api.deleteMessageBatch({ QueueUrl, Entries: (got.Messages ?? []).map((m, k) => ({ Id: "d" + k, ReceiptHandle: m.ReceiptHandle })) });
  }
  return (performance.now() - t) / n;
};
let next = 0;
const fill = async (total) => {
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < total) {
      const b = next; next += 10;
      await api.sendMessageBatch({ QueueUrl, Entries: Array.from({ length: 10 }, (_, k) => ({ Id: "e" + k, MessageBody: "depth message " + (b + k) + " " + "x".repeat(100), MessageGroupId: "g" + ((b + k) % 100), MessageDeduplicationId: "m" + (b + k) })) });
    }
  }));
};
await fill(1000);
const shallow = await timeReceives(50);
const before = heap();
const t = performance.now();
await fill(101000);
const fillRate = 100000 / (performance.now() - t) * 1000;
const after = heap();
const deep = await timeReceives(50);
process.stdout.write(JSON.stringify({ fillRate, heapGrowth: after - before, shallow, deep }) + "\\n");
await cloud.stop();`;
  const child = spawn(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = await once(createInterface({ input: child.stdout }), "line");
  await once(child, "exit");
  return JSON.parse(line);
}

const raw = rawSqlite();
const stub = await startStub();
let stubOne = 0;
let stubMany = 0;
try {
  const stubClient = new SQSClient({ endpoint: stub.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const stubQueue = `${stub.url}/000000000000/stub.fifo`;
  stubOne = await sends(stubClient, stubQueue, 1, 2);
  stubMany = await sends(stubClient, stubQueue, 32, 2);
} finally {
  stub.child.kill("SIGTERM");
  await once(stub.child, "exit");
}
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
    ["SDK against a bare HTTP stub, 1 sender (HTTP ceiling)", stubOne, ""],
    ["SDK against a bare HTTP stub, 32 senders (HTTP ceiling)", stubMany, ""],
    ["SDK SendMessage, 1 sender", one, `${(one / raw.perInsert).toFixed(2)}x raw per-commit, ${(one / stubOne).toFixed(2)}x HTTP ceiling`],
    [
      "SDK SendMessage, 32 senders",
      many,
      `${(many / raw.perInsert).toFixed(2)}x raw per-commit, ${(many / raw.perGroup).toFixed(2)}x raw grouped, ${(many / stubMany).toFixed(2)}x HTTP ceiling (old target 5,000: retired, issue 18)`,
    ],
    [
      "receive(10)+deleteBatch drain, FIFO 64 groups, 8 consumers",
      drained,
      `${(drained / raw.perGroup).toFixed(2)}x raw grouped (old target 5,000: retired, issue 18)`,
    ],
  ];
  for (const [name, value, note] of rows) process.stdout.write(`${name.padEnd(62)} ${fmt(value).padStart(8)} msg/s  ${note}\n`);
  const scale = await depth();
  process.stdout.write(
    `100,000 queued (FIFO, 100 groups): in-process fill ${fmt(scale.fillRate)} msg/s, heap growth after GC ${(scale.heapGrowth / 1048576).toFixed(1)} MiB, ` +
      `receive(10)+delete ${scale.shallow.toFixed(2)} ms at 1,000 deep vs ${scale.deep.toFixed(2)} ms at 100,000 deep (${(scale.deep / scale.shallow).toFixed(2)}x)\n`,
  );
} finally {
  child.kill("SIGTERM");
  await once(child, "exit");
  rmSync(work, { recursive: true, force: true });
}
