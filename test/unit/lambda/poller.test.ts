import type * as sqs from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import type { SqsApi } from "../../../src/local/contracts.js";
import type { LocalLogger } from "../../../src/local/context.js";
import { SqsPoller } from "../../../src/local/lambda/event-source-mapping.js";
import type { MappingRecord } from "../../../src/local/lambda/store.js";
import { sqsErrors } from "../../../src/local/sqs/errors.js";
import { eventually } from "../../helpers/eventually.js";

// The poller against a scripted queue: what it asks of SQS, in what order, and when stop() ends.

const QUEUE_URL = "http://127.0.0.1/000000000000/q.fifo";
const mapping: MappingRecord = {
  uuid: "u1",
  functionName: "f",
  eventSourceArn: "arn:aws:sqs:us-east-1:000000000000:q.fifo",
  batchSize: 10,
  maximumBatchingWindowInSeconds: 0,
  functionResponseTypes: ["ReportBatchItemFailures"],
  maximumConcurrency: undefined,
  enabled: true,
  lastModified: 0,
  lastProcessingResult: "",
};

const silent: LocalLogger = { log: () => undefined, child: () => silent };

function message(id: string): sqs.Message {
  return { MessageId: id, ReceiptHandle: `rh-${id}`, Body: "{}", Attributes: { MessageGroupId: "g" }, MessageAttributes: {} };
}

interface Script {
  calls: string[];
  /** Lets the oldest delete still waiting commit. */
  releaseDelete: () => void;
}

/**
 * A queue that hands out `batches` one receive at a time, then long-polls until aborted. Each
 * delete waits until the test lets it commit (`releaseDelete`).
 */
function scriptedQueue(batches: sqs.Message[][]): { api: SqsApi; script: Script } {
  const calls: string[] = [];
  const waiting: (() => void)[] = [];
  const script: Script = { calls, releaseDelete: () => waiting.shift()?.() };
  const api = {
    queueUrlFromArn: () => QUEUE_URL,
    receiveMessage: (_input: sqs.ReceiveMessageRequest, signal?: AbortSignal) => {
      const next = batches.shift();
      calls.push(`receive:${next ? next.map((m) => m.MessageId).join(",") : "empty"}`);
      if (next) return Promise.resolve({ Messages: next });
      return new Promise<sqs.ReceiveMessageResult>((resolve) => {
        if (signal?.aborted) resolve({});
        signal?.addEventListener("abort", () => resolve({}));
      });
    },
    deleteMessageBatch: (input: sqs.DeleteMessageBatchRequest) => {
      calls.push(`delete:${(input.Entries ?? []).map((e) => e.ReceiptHandle).join(",")}`);
      const result: sqs.DeleteMessageBatchResult = { Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id })), Failed: [] };
      return new Promise<sqs.DeleteMessageBatchResult>((resolve) => {
        waiting.push(() => {
          calls.push("delete committed");
          resolve(result);
        });
      });
    },
  } as unknown as SqsApi;
  return { api, script };
}

function poller(api: SqsApi, invoked: string[]): SqsPoller {
  return new SqsPoller(mapping, {
    sqs: api,
    region: "us-east-1",
    log: silent,
    invoke: (_name, eventJson) => {
      const event = JSON.parse(eventJson) as { Records: { messageId: string }[] };
      invoked.push(event.Records.map((r) => r.messageId).join(","));
      return Promise.resolve({ payload: { batchItemFailures: [] }, requestId: "r" });
    },
    functionConcurrency: () => 1,
    reportResult: () => undefined,
  });
}

/** Lets `n` event-loop turns pass. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

describe("SqsPoller", () => {
  it("invokes each batch, deletes it once the invocation succeeded, and only then receives again", async () => {
    const { api, script } = scriptedQueue([[message("a"), message("b")], [message("c")]]);
    const invoked: string[] = [];
    const subject = poller(api, invoked);
    subject.start();
    await until(() => script.calls.includes("delete:rh-a,rh-b"));
    // While the first delete commits, the loop does not receive: a FIFO group's next batch must
    // not be asked for before the previous one is gone.
    await turns(20);
    expect(script.calls).toEqual(["receive:a,b", "delete:rh-a,rh-b"]);
    script.releaseDelete();
    await until(() => script.calls.includes("delete:rh-c"));
    expect(script.calls.slice(0, 5)).toEqual(["receive:a,b", "delete:rh-a,rh-b", "delete committed", "receive:c", "delete:rh-c"]);
    expect(invoked).toEqual(["a,b", "c"]);
    script.releaseDelete();
    await subject.stop();
    expect(script.calls.filter((c) => c === "delete committed")).toHaveLength(2);
  });

  it("stop() resolves only once the delete of a processed batch has committed", async () => {
    const { api, script } = scriptedQueue([[message("a")]]);
    const subject = poller(api, []);
    subject.start();
    await until(() => script.calls.includes("delete:rh-a"));
    let stopped = false;
    const stopping = subject.stop().then(() => (stopped = true));
    await turns(20);
    expect(stopped).toBe(false);
    script.releaseDelete();
    await stopping;
    expect(script.calls.at(-1)).toBe("delete committed");
  });

  it("backs off from a throttled receive without reporting a problem, and retries a throttled delete until it goes through", async () => {
    const calls: string[] = [];
    const results: string[] = [];
    let receives = 0;
    let deletes = 0;
    const throttled = () => sqsErrors.requestThrottled("Request is throttled.");
    const api = {
      queueUrlFromArn: () => QUEUE_URL,
      receiveMessage: (_input: sqs.ReceiveMessageRequest, signal?: AbortSignal) => {
        receives += 1;
        calls.push(`receive ${receives}`);
        if (receives === 1) return Promise.reject(throttled());
        if (receives === 2) return Promise.resolve({ Messages: [message("a")] });
        return new Promise<sqs.ReceiveMessageResult>((resolve) => signal?.addEventListener("abort", () => resolve({})));
      },
      deleteMessageBatch: (input: sqs.DeleteMessageBatchRequest) => {
        deletes += 1;
        calls.push(`delete ${deletes}`);
        if (deletes <= 2) return Promise.reject(throttled());
        return Promise.resolve({ Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id })), Failed: [] });
      },
    } as unknown as SqsApi;
    const invoked: string[] = [];
    const subject = new SqsPoller(mapping, {
      sqs: api,
      region: "us-east-1",
      log: silent,
      invoke: (_name, eventJson) => {
        invoked.push(eventJson);
        return Promise.resolve({ payload: null, requestId: "r" });
      },
      functionConcurrency: () => 1,
      reportResult: (_uuid, result) => results.push(result),
    });
    subject.start();
    await eventually(async () => calls.includes("receive 3"), "the poller to receive again after its delete went through");
    await subject.stop();
    expect(calls).toEqual(["receive 1", "receive 2", "delete 1", "delete 2", "delete 3", "receive 3"]);
    expect(invoked).toHaveLength(1);
    expect(results).toEqual(["OK"]);
  });
});
