// Lambda benchmark (run `npm run build` first; it imports ../dist):
//  1. Drain: 10,000 messages over 100 FIFO groups consumed by an event source mapping (batch 10,
//     MaximumConcurrency 10) into a handler that does nothing, next to the raw drain of the same
//     kind of queue by 10 SDK consumers doing ReceiveMessage + DeleteMessageBatch in this run.
//     Target (issue 4): the mapping drains at >= 50% of the raw rate. The mapping calls SQS
//     in-process (as Lambda's pollers sit next to SQS) and pays a worker IPC hop per batch instead,
//     so it can beat the raw drain, which pays two HTTP round trips per batch.
//  2. Warm invoke latency: sequential Invoke calls through @aws-sdk/client-lambda of a no-op
//     function, next to the bare round trip of a message to a forked worker over IPC (the hop
//     every invocation pays) and an SDK call that does almost nothing (GetQueueUrl).
// The local cloud runs in a child process, as `wsq local start` runs it; clients run here.
import { fork, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { strToU8, zipSync } from "fflate";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { CreateEventSourceMappingCommand, CreateFunctionCommand, InvokeCommand, LambdaClient, UpdateEventSourceMappingCommand } from "@aws-sdk/client-lambda";

const root = fileURLToPath(new URL("..", import.meta.url));
const MESSAGES = 10_000;
const GROUPS = 100;
const CONCURRENCY = 10;
const INVOKES = 500;
const work = mkdtempSync(join(tmpdir(), "wsq-bench-lambda-"));
const fmt = (n) => Math.round(n).toLocaleString("en-US");
const ms = (n) => `${n.toFixed(2)} ms`;

// Quotas off (as `wsq local start --no-quotas`): the bench fills and drains FIFO queues as fast as
// the local cloud goes, far above the 300 calls/s per action AWS allows a non-high-throughput queue.
async function startCloud() {
  const module = pathToFileURL(join(root, "dist", "local", "server", "local-cloud.js")).href;
  const script = `const { startLocalCloud } = await import(${JSON.stringify(module)});
const cloud = await startLocalCloud({ dataDir: ${JSON.stringify(join(work, "cloud"))}, port: 0, quotas: false });
process.stdout.write(JSON.stringify({ url: cloud.url }) + "\\n");
process.on("SIGTERM", () => cloud.stop().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = await once(createInterface({ input: child.stdout }), "line");
  return { child, url: JSON.parse(line).url };
}

async function fifoQueue(sqs, name) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}.fifo`, Attributes: { FifoQueue: "true", VisibilityTimeout: "60" } }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes.QueueArn;
  return { url: QueueUrl, arn };
}

/** 10,000 messages, interleaved over 100 groups, sent 10 per batch by 16 senders. */
async function fill(sqs, url) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < MESSAGES) {
        const start = next;
        next += 10;
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: Array.from({ length: 10 }, (_, k) => ({
              Id: `e${k}`,
              MessageBody: JSON.stringify({ n: start + k, data: "x".repeat(64) }),
              MessageGroupId: `g${(start + k) % GROUPS}`,
              MessageDeduplicationId: `d${start + k}`,
            })),
          }),
        );
      }
    }),
  );
}

async function rawDrain(sqs, url) {
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (done < MESSAGES) {
        const got = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
        );
        if (!got.Messages?.length) continue;
        await sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: url, Entries: got.Messages.map((m, k) => ({ Id: `d${k}`, ReceiptHandle: m.ReceiptHandle })) }),
        );
        done += got.Messages.length;
      }
    }),
  );
  return (MESSAGES / (performance.now() - started)) * 1000;
}

async function depth(sqs, url) {
  const a = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }))
  ).Attributes;
  return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
}

async function mappingDrain(sqs, lambda, queue) {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: "noop",
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      Role: "arn:aws:iam::000000000000:role/bench",
      Code: { ZipFile: zipSync({ "index.js": strToU8("exports.handler = async () => ({ batchItemFailures: [] });") }) },
    }),
  );
  // Created disabled and enabled once the queue is full, so that the clock starts with a full queue.
  const mapping = await lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: "noop",
      EventSourceArn: queue.arn,
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: CONCURRENCY },
      Enabled: false,
    }),
  );
  await fill(sqs, queue.url);
  const started = performance.now();
  await lambda.send(new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: true }));
  // Polling the depth costs the server a little; every 20 ms is finer than the drain's resolution.
  while ((await depth(sqs, queue.url)) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  return (MESSAGES / (performance.now() - started)) * 1000;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timeEach(count, action) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await action(i);
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b);
}

async function ipcRoundTrip() {
  const file = join(work, "echo.cjs");
  writeFileSync(file, "process.on('message', (m) => process.send(m));");
  const child = fork(file, [], { serialization: "json" });
  const event = JSON.stringify({ Records: [] });
  const samples = await timeEach(
    INVOKES,
    () =>
      new Promise((resolve) => {
        child.once("message", resolve);
        child.send({ type: "invoke", requestId: "r", event });
      }),
  );
  child.kill();
  return samples;
}

const { child, url } = await startCloud();
try {
  const config = { endpoint: url, region: "us-east-1", credentials: { accessKeyId: "wsqlocal", secretAccessKey: "wsqlocalsecret" } };
  const sqs = new SQSClient(config);
  const lambda = new LambdaClient(config);

  const raw = await fifoQueue(sqs, "raw");
  await fill(sqs, raw.url);
  const rawRate = await rawDrain(sqs, raw.url);
  const mapped = await fifoQueue(sqs, "mapped");
  const mappingRate = await mappingDrain(sqs, lambda, mapped);
  console.log(`drain of ${fmt(MESSAGES)} messages over ${GROUPS} FIFO groups, concurrency ${CONCURRENCY}:`);
  console.log(`  raw SDK receive + delete     ${fmt(rawRate)} messages/s (baseline)`);
  console.log(`  event source mapping, no-op  ${fmt(mappingRate)} messages/s  = ${((mappingRate / rawRate) * 100).toFixed(0)}% of raw (target >= 50%)`);

  const payload = new TextEncoder().encode("{}");
  await lambda.send(new InvokeCommand({ FunctionName: "noop", Payload: payload }));
  const invokes = await timeEach(INVOKES, () => lambda.send(new InvokeCommand({ FunctionName: "noop", Payload: payload })));
  const ipc = await ipcRoundTrip();
  const sdkFloor = await timeEach(INVOKES, () => sqs.send(new GetQueueUrlCommand({ QueueName: "raw.fifo" })));
  console.log(`warm invoke latency, ${INVOKES} sequential calls (p50 / p99):`);
  console.log(`  Invoke through the SDK        ${ms(percentile(invokes, 50))} / ${ms(percentile(invokes, 99))}`);
  console.log(`  raw worker IPC round trip     ${ms(percentile(ipc, 50))} / ${ms(percentile(ipc, 99))} (baseline)`);
  console.log(`  SDK call doing nothing (GetQueueUrl) ${ms(percentile(sdkFloor, 50))} / ${ms(percentile(sdkFloor, 99))} (baseline)`);
  console.log(
    `  Invoke p50 = IPC + ${ms(percentile(invokes, 50) - percentile(ipc, 50))}; = ${(percentile(invokes, 50) / percentile(sdkFloor, 50)).toFixed(2)}x the SDK floor`,
  );
  sqs.destroy();
  lambda.destroy();
} finally {
  child.kill("SIGTERM");
  await once(child, "exit");
  rmSync(work, { recursive: true, force: true });
}
