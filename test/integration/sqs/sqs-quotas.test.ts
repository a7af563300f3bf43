import { describe, expect, it } from "vitest";
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient, type SQSServiceException } from "@aws-sdk/client-sqs";
import { manualClock, sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";

// AWS's FIFO throughput quotas through the real wire protocols: the real SDK (JSON 1.0), raw
// Query POSTs (what API Gateway sends), and the SDK's own retry of a throttle. The cloud's clock
// stands still unless a test moves it, so each burst fired at once admits exactly one second's
// worth (300) whatever the machine's speed.

const HIGH_THROUGHPUT = { DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" };

async function fifoQueue(sqs: SQSClient, name: string, attributes: Record<string, string> = {}): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: "true", ...attributes } }));
  return QueueUrl!;
}

async function depth(sqs: SQSClient, QueueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
  return Number(Attributes?.ApproximateNumberOfMessages);
}

/** `count` SendMessage calls fired at once; the outcome of each. */
async function sendBurst(sqs: SQSClient, QueueUrl: string, count: number, group: (i: number) => string): Promise<PromiseSettledResult<unknown>[]> {
  return Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${i}`, MessageGroupId: group(i), MessageDeduplicationId: `d${i}` })),
    ),
  );
}

function rejected(results: PromiseSettledResult<unknown>[]): SQSServiceException[] {
  return results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as SQSServiceException);
}

function queryPost(cloud: LocalCloud, queue: string, params: Record<string, string>): Promise<Response> {
  return fetch(`${cloud.url}/000000000000/${queue}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  });
}

describe("SQS FIFO throughput quotas over the wire", () => {
  it("throttles a non-high-throughput FIFO queue above 300 SendMessage/s through the SDK (JSON 1.0), with SQS's error shape", async () => {
    const cloud = await useTestCloud({ clock: manualClock() });
    const sqs = new SQSClient({ ...sdkConfig(cloud), maxAttempts: 1 });
    try {
      const QueueUrl = await fifoQueue(sqs, "jobs.fifo");
      const results = await sendBurst(sqs, QueueUrl, 400, () => "g");
      const errors = rejected(results);
      expect(errors).toHaveLength(100);
      for (const error of errors) {
        expect(error.name).toBe("RequestThrottled");
        expect(error.$metadata.httpStatusCode).toBe(403);
        expect(error.$fault).toBe("client");
      }
      expect(await depth(sqs, QueueUrl)).toBe(300);

      // The raw JSON 1.0 reply: __type, the legacy code in x-amzn-query-error, 403.
      const raw = await fetch(cloud.url, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.SendMessage" },
        body: JSON.stringify({ QueueUrl, MessageBody: "raw", MessageGroupId: "g", MessageDeduplicationId: "raw" }),
      });
      expect(raw.status).toBe(403);
      expect(raw.headers.get("x-amzn-query-error")).toBe("RequestThrottled;Sender");
      const body = (await raw.json()) as { __type: string; message: string };
      expect(body.__type).toBe("com.amazonaws.sqs#RequestThrottled");
      expect(body.message).toMatch(/jobs\.fifo takes at most 300 SendMessage transactions per second/);
    } finally {
      sqs.destroy();
    }
  });

  it("throttles the Query protocol the same way: 403 <ErrorResponse> with Type Sender and Code RequestThrottled", async () => {
    const cloud = await useTestCloud({ clock: manualClock() });
    const sqs = new SQSClient(sdkConfig(cloud));
    try {
      const QueueUrl = await fifoQueue(sqs, "api.fifo");
      const replies = await Promise.all(
        Array.from({ length: 400 }, async (_, i) => {
          const response = await queryPost(cloud, "api.fifo", {
            Action: "SendMessage",
            MessageBody: `m${i}`,
            MessageGroupId: "g",
            MessageDeduplicationId: `d${i}`,
          });
          return { status: response.status, xml: await response.text() };
        }),
      );
      expect(replies.filter((r) => r.status === 200)).toHaveLength(300);
      const throttled = replies.filter((r) => r.status !== 200);
      expect(throttled).toHaveLength(100);
      for (const { status, xml } of throttled) {
        expect(status).toBe(403);
        expect(xml).toMatch(
          /^<\?xml version="1\.0"\?><ErrorResponse xmlns="http:\/\/queue\.amazonaws\.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>RequestThrottled<\/Code><Message>Request is throttled: /,
        );
        expect(xml).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
      }
      expect(await depth(sqs, QueueUrl)).toBe(300);
    } finally {
      sqs.destroy();
    }
  });

  it("lets a high-throughput queue take the same burst spread over message groups, nothing throttled, and throttles one hot group", async () => {
    const cloud = await useTestCloud({ clock: manualClock() });
    const sqs = new SQSClient({ ...sdkConfig(cloud), maxAttempts: 1 });
    try {
      const QueueUrl = await fifoQueue(sqs, "ht.fifo", HIGH_THROUGHPUT);
      expect(rejected(await sendBurst(sqs, QueueUrl, 400, (i) => `g${i % 8}`))).toEqual([]);
      expect(await depth(sqs, QueueUrl)).toBe(400);

      const hot = await fifoQueue(sqs, "hot.fifo", HIGH_THROUGHPUT);
      const errors = rejected(await sendBurst(sqs, hot, 400, () => "hot"));
      expect(errors).toHaveLength(100);
      expect(errors[0]?.message).toMatch(/message group hot of the high-throughput FIFO queue hot\.fifo/);
    } finally {
      sqs.destroy();
    }
  });

  it("is a throttling error to the SDK: it retries with backoff, and the send succeeds once the quota has refilled", async () => {
    const clock = manualClock();
    const cloud = await useTestCloud({ clock });
    const sqs = new SQSClient(sdkConfig(cloud));
    const statuses: number[] = [];
    // Each attempt's HTTP status, seen below the retry middleware: on a throttle, a second passes.
    sqs.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const status = (result.response as { statusCode?: number }).statusCode ?? 0;
        statuses.push(status);
        if (status === 403) clock.advance(1000);
        return result;
      },
      { step: "deserialize", name: "observeAttempts", priority: "low" },
    );
    try {
      const QueueUrl = await fifoQueue(sqs, "retry.fifo");
      expect(rejected(await sendBurst(sqs, QueueUrl, 300, () => "g"))).toEqual([]);
      statuses.length = 0;
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "over", MessageGroupId: "g", MessageDeduplicationId: "over" }));
      expect(statuses).toEqual([403, 200]);
      expect(sent.$metadata.attempts).toBe(2);
      expect(sent.$metadata.totalRetryDelay).toBeGreaterThan(0);
      expect(await depth(sqs, QueueUrl)).toBe(301);
    } finally {
      sqs.destroy();
    }
  });

  it("enforces nothing when started with quotas off (wsq local start --no-quotas)", async () => {
    const cloud = await useTestCloud({ clock: manualClock(), quotas: false });
    expect(cloud.quotas).toBe(false);
    const health = (await (await fetch(`${cloud.url}/_wsq/health`)).json()) as { quotas: boolean };
    expect(health.quotas).toBe(false);
    const sqs = new SQSClient({ ...sdkConfig(cloud), maxAttempts: 1 });
    try {
      const QueueUrl = await fifoQueue(sqs, "free.fifo");
      expect(rejected(await sendBurst(sqs, QueueUrl, 400, () => "g"))).toEqual([]);
      expect(await depth(sqs, QueueUrl)).toBe(400);
    } finally {
      sqs.destroy();
    }
  });
});
