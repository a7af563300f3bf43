/**
 * The pattern's own handler (src/handler, bundled exactly as `npm run build` bundles handler.zip)
 * on the local Lambda: code from S3 as the template deploys it, a FIFO mapping with
 * ReportBatchItemFailures and MaximumConcurrency, and results posted by the handler's own
 * @connections client to WSQ_CONNECTIONS_URL. The @connections side is a small loopback recorder
 * standing in for API Gateway (another service of the local cloud, tested on its own): it refuses
 * (403, which is not retried) the first post of one message, so that message is retried before the
 * rest of its group.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { PutObjectCommand, S3Client, CreateBucketCommand } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { bundleBuiltinHandler, HANDLER_ENTRY } from "../../../src/deploy/handler-bundle.js";
import { buildMessage, type PatternResult } from "../../../src/shared/pattern-messages.js";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";
import { clients, createFunction, fifoQueueWithDlq, mapQueue, receiveAll } from "./helpers.js";

interface Post {
  connectionId: string;
  result: PatternResult;
}

async function connectionsRecorder(expected: number, failFirstPostOf: string) {
  const posts: Post[] = [];
  let failed = false;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const match = /\/production\/(?:%40|@)connections\/([^/]+)$/.exec(request.url ?? "");
      const result = JSON.parse(Buffer.concat(chunks).toString("utf8")) as PatternResult;
      if (!failed && result.id === failFirstPostOf) {
        failed = true;
        response.writeHead(403, { "x-amzn-errortype": "ForbiddenException", "content-type": "application/json" }).end('{"message":"Forbidden"}');
        return;
      }
      posts.push({ connectionId: decodeURIComponent(match?.[1] ?? ""), result });
      response.writeHead(200).end();
      if (posts.length >= expected) done();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/production`, posts, all };
}

describe("the pattern handler on the local Lambda", () => {
  it("drains a FIFO queue in group order and posts every result back through @connections", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const s3 = new S3Client({ ...sdkConfig(cloud), forcePathStyle: true });
    const asset = await bundleBuiltinHandler();
    await s3.send(new CreateBucketCommand({ Bucket: "assets" }));
    await s3.send(new PutObjectCommand({ Bucket: "assets", Key: "handler.zip", Body: asset.zip }));

    const groups = 6;
    const perGroup = 5;
    const recorder = await connectionsRecorder(groups * perGroup, "g2-1");
    const { queueUrl, queueArn } = await fifoQueueWithDlq(sqs, "requests", { maxReceiveCount: 5, visibilityTimeout: 4 });
    await createFunction(
      lambda,
      "pattern-handler",
      {},
      {
        Handler: HANDLER_ENTRY,
        Architectures: ["arm64"],
        MemorySize: 256,
        Timeout: 4,
        Code: { S3Bucket: "assets", S3Key: "handler.zip" },
        Environment: { Variables: { WSQ_CONNECTIONS_URL: recorder.url } },
      },
    );
    await mapQueue(lambda, "pattern-handler", queueArn, { batchSize: 10, maximumConcurrency: 3, reportBatchItemFailures: true });

    // Messages as API Gateway's integration sends them: the frame as body, ids as attributes.
    for (let seq = 0; seq < perGroup; seq++) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: groups }, (_, g) => ({
            Id: `g${g}`,
            MessageBody: buildMessage({ id: `g${g}-${seq}`, group: `g${g}`, seq, data: { n: seq } }),
            MessageGroupId: `g${g}`,
            MessageDeduplicationId: `g${g}-${seq}`,
            MessageAttributes: {
              connectionId: { DataType: "String", StringValue: `conn-${g}=` },
              requestId: { DataType: "String", StringValue: `req-${g}-${seq}` },
              requestTimeEpoch: { DataType: "Number", StringValue: String(Date.now()) },
            },
          })),
        }),
      );
    }
    await recorder.all;
    for (let g = 0; g < groups; g++) {
      const posts = recorder.posts.filter((p) => p.result.group === `g${g}`);
      expect(posts.map((p) => p.result.id)).toEqual(Array.from({ length: perGroup }, (_, seq) => `g${g}-${seq}`));
      expect(new Set(posts.map((p) => p.connectionId))).toEqual(new Set([`conn-${g}=`]));
    }
    const retried = recorder.posts.find((p) => p.result.id === "g2-1")!;
    expect(retried.result.receiveCount).toBe(2);
    expect(recorder.posts.find((p) => p.result.id === "g2-2")!.result.receiveCount).toBe(2);
    expect(recorder.posts.find((p) => p.result.id === "g1-1")!.result).toMatchObject({ data: { n: 1 }, requestId: "req-1-1", receiveCount: 1 });
    expect(await receiveAll(sqs, queueUrl, 1, 1_500)).toEqual([]);
  });
});
