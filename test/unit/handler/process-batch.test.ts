import { GoneException } from "@aws-sdk/client-apigatewaymanagementapi";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { echoData, processBatch, type BatchDependencies } from "../../../src/handler/process-batch.js";
import type { SqsRecord } from "../../../src/handler/sqs-event.js";
import { createHandler } from "../../../src/handler/wrapper.js";
import { parseIncomingFrame, type PatternResult } from "../../../src/shared/pattern-messages.js";

let sequence = 0;
function record(fields: {
  id: string;
  group?: string;
  body?: unknown;
  connectionId?: string;
  receiveCount?: number;
  requestTimeEpoch?: string;
  epochType?: string;
}): SqsRecord {
  sequence += 1;
  const attributes: Record<string, { stringValue: string; dataType: string }> = {};
  if (fields.connectionId !== "") attributes.connectionId = { stringValue: fields.connectionId ?? `conn-${fields.group ?? "x"}`, dataType: "String" };
  attributes.requestId = { stringValue: `req-${fields.id}`, dataType: "String" };
  attributes.requestTimeEpoch = { stringValue: fields.requestTimeEpoch ?? "1000", dataType: fields.epochType ?? "Number" };
  return {
    messageId: fields.id,
    receiptHandle: `rh-${fields.id}`,
    body: typeof fields.body === "string" ? fields.body : JSON.stringify(fields.body ?? { id: `c-${fields.id}`, seq: sequence, data: `data-${fields.id}` }),
    attributes: {
      ApproximateReceiveCount: String(fields.receiveCount ?? 1),
      SentTimestamp: "1000",
      SenderId: "AIDAIENQZJOLO23YVJ4VO",
      ApproximateFirstReceiveTimestamp: "1001",
      ...(fields.group !== undefined
        ? { MessageGroupId: fields.group, SequenceNumber: `1884949646046769612${sequence}`, MessageDeduplicationId: `req-${fields.id}` }
        : {}),
    },
    messageAttributes: attributes,
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:wsq-requests.fifo",
    awsRegion: "us-east-1",
  };
}

function deps(overrides: Partial<BatchDependencies> = {}): BatchDependencies & { posted: { connectionId: string; result: PatternResult }[]; logs: string[] } {
  const posted: { connectionId: string; result: PatternResult }[] = [];
  const logs: string[] = [];
  return {
    posted,
    logs,
    post: async (connectionId, data) => {
      posted.push({ connectionId, result: JSON.parse(data) as PatternResult });
    },
    process: echoData,
    now: () => 1500,
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...overrides,
  };
}

/** A post that records its start and waits until the test calls `pending.get(messageId)()`, which records its end. */
function heldPost(events: string[], pending: Map<string, () => void>): BatchDependencies["post"] {
  return (_connectionId, data) => {
    const id = (JSON.parse(data) as PatternResult).messageId;
    events.push(`start ${id}`);
    return new Promise<void>((resolve) =>
      pending.set(id, () => {
        events.push(`end ${id}`);
        resolve();
      }),
    );
  };
}

function gone(): GoneException {
  return new GoneException({ message: "gone", $metadata: { httpStatusCode: 410 } });
}

function failure(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

describe("processBatch", () => {
  it("posts one result per record, echoing data with the queue metadata", async () => {
    const d = deps();
    const r = record({
      id: "m1",
      group: "g1",
      body: { action: "send", id: "c1-1", MessageGroupId: "g1", seq: 7, data: { hello: "world" } },
      connectionId: "AbC=",
      receiveCount: 2,
      requestTimeEpoch: "1200",
    });
    const response = await processBatch({ Records: [r] }, d);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(d.posted).toHaveLength(1);
    expect(d.posted[0]!.connectionId).toBe("AbC=");
    expect(d.posted[0]!.result).toEqual({
      type: "result",
      id: "c1-1",
      seq: 7,
      messageId: "m1",
      group: "g1",
      sequenceNumber: r.attributes.SequenceNumber,
      receiveCount: 2,
      connectionId: "AbC=",
      requestId: "req-m1",
      queueWaitMs: 300,
      processedAt: 1500,
      data: { hello: "world" },
    });
    // What connect and burst parse.
    expect(parseIncomingFrame(JSON.stringify(d.posted[0]!.result)).kind).toBe("result");
  });

  it("accepts requestTimeEpoch sent as a String attribute and tolerates its absence", async () => {
    const d = deps();
    const withString = record({ id: "s1", group: "g", requestTimeEpoch: "1400", epochType: "String" });
    const without = record({ id: "s2", group: "h" });
    delete without.messageAttributes.requestTimeEpoch;
    await processBatch({ Records: [withString, without] }, d);
    expect(d.posted.map((p) => p.result.queueWaitMs)).toEqual([100, null]);
  });

  it("echoes a non-JSON body as text and a frame without id as null ids", async () => {
    const d = deps();
    await processBatch({ Records: [record({ id: "t1", group: "g", body: "plain text" })] }, d);
    expect(d.posted[0]!.result).toMatchObject({ id: null, seq: null, data: "plain text" });
  });

  it("drops the result of a gone connection without retrying it, and goes on with the group", async () => {
    const d = deps();
    const post = vi.fn(async (connectionId: string, data: string) => {
      if (JSON.parse(data).messageId === "a1") throw gone();
      d.posted.push({ connectionId, result: JSON.parse(data) as PatternResult });
    });
    const response = await processBatch({ Records: [record({ id: "a1", group: "A" }), record({ id: "a2", group: "A" })] }, { ...d, post });
    expect(response.batchItemFailures).toEqual([]);
    expect(post).toHaveBeenCalledTimes(2);
    expect(d.posted.map((p) => p.result.messageId)).toEqual(["a2"]);
    expect(d.logs).toContain("warn: connection gone; result dropped");
  });

  it("treats a bare 410 like GoneException and drops a result too large to post", async () => {
    const d = deps();
    const post = vi.fn(async (_c: string, data: string) => {
      throw JSON.parse(data).messageId === "b1" ? failure("UnknownError", 410) : failure("PayloadTooLargeException", 413);
    });
    const response = await processBatch({ Records: [record({ id: "b1", group: "B" }), record({ id: "b2", group: "B" })] }, { ...d, post });
    expect(response.batchItemFailures).toEqual([]);
  });

  it("fails the first failed record and every later record of its group, and only of its group (the FIFO rule)", async () => {
    const d = deps();
    const post = vi.fn(async (connectionId: string, data: string) => {
      const result = JSON.parse(data) as PatternResult;
      if (result.messageId === "a2") throw failure("InternalServerError", 500);
      d.posted.push({ connectionId, result });
    });
    const records = [
      record({ id: "a1", group: "A" }),
      record({ id: "b1", group: "B" }),
      record({ id: "a2", group: "A" }),
      record({ id: "b2", group: "B" }),
      record({ id: "a3", group: "A" }),
      record({ id: "b3", group: "B" }),
    ];
    const response = await processBatch({ Records: records }, { ...d, post });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "a2" }, { itemIdentifier: "a3" }]);
    // a3 is never attempted: it must not be posted before a2 succeeds.
    expect(d.posted.map((p) => p.result.messageId).sort()).toEqual(["a1", "b1", "b2", "b3"]);
    expect(post).toHaveBeenCalledTimes(5);
  });

  it("fails the record when the processing function throws, without posting", async () => {
    const d = deps({
      process: (message) => {
        if ((message as { data: string }).data === "data-p1") throw new Error("bad input");
        return "ok";
      },
    });
    const response = await processBatch({ Records: [record({ id: "p1", group: "P" }), record({ id: "p2", group: "P" }), record({ id: "q1", group: "Q" })] }, d);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "p1" }, { itemIdentifier: "p2" }]);
    expect(d.posted.map((p) => [p.result.messageId, p.result.data])).toEqual([["q1", "ok"]]);
  });

  it("posts in order within a group and in parallel across groups", async () => {
    const events: string[] = [];
    const pending = new Map<string, () => void>();
    const d = deps({
      post: heldPost(events, pending),
    });
    const done = processBatch({ Records: [record({ id: "a1", group: "A" }), record({ id: "a2", group: "A" }), record({ id: "b1", group: "B" })] }, d);
    await vi.waitFor(() => expect(pending.size).toBe(2));
    // Both groups' first posts are under way together; a2 waits for a1.
    expect(events).toEqual(["start a1", "start b1"]);
    pending.get("b1")!();
    pending.get("a1")!();
    await vi.waitFor(() => expect(pending.has("a2")).toBe(true));
    pending.get("a2")!();
    await expect(done).resolves.toEqual({ batchItemFailures: [] });
    expect(events.indexOf("end a1")).toBeLessThan(events.indexOf("start a2"));
  });

  it("processes a group's next record while the previous result is being posted, and still posts one after another", async () => {
    const events: string[] = [];
    const pending = new Map<string, () => void>();
    const d = deps({
      process: (message) => {
        events.push(`process ${(message as { data: string }).data.replace("data-", "")}`);
        return "ok";
      },
      post: heldPost(events, pending),
    });
    const done = processBatch({ Records: [record({ id: "a1", group: "A" }), record({ id: "a2", group: "A" })] }, d);
    await vi.waitFor(() => expect(events).toContain("process a2"));
    // a2 was processed while a1's post was under way, but its own post waits for a1's.
    expect(events).toEqual(["process a1", "start a1", "process a2"]);
    pending.get("a1")!();
    await vi.waitFor(() => expect(pending.has("a2")).toBe(true));
    pending.get("a2")!();
    await expect(done).resolves.toEqual({ batchItemFailures: [] });
    expect(events).toEqual(["process a1", "start a1", "process a2", "end a1", "start a2", "end a2"]);
  });

  it("returns a record processed during its predecessor's failed post with it, unposted, to be processed again", async () => {
    const processed: string[] = [];
    const d = deps({
      process: (message) => {
        processed.push((message as { data: string }).data);
        return "ok";
      },
    });
    const post = vi.fn(async (connectionId: string, data: string) => {
      const result = JSON.parse(data) as PatternResult;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (result.messageId === "a1") throw failure("ThrottlingException", 429);
      d.posted.push({ connectionId, result });
    });
    const response = await processBatch(
      { Records: [record({ id: "a1", group: "A" }), record({ id: "a2", group: "A" }), record({ id: "a3", group: "A" })] },
      { ...d, post },
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "a1" }, { itemIdentifier: "a2" }, { itemIdentifier: "a3" }]);
    expect(processed).toEqual(["data-a1", "data-a2"]);
    expect(post).toHaveBeenCalledTimes(1);
    expect(d.posted).toEqual([]);
  });

  it("waits for the previous post before failing a record whose processing threw, and keeps a post that succeeded", async () => {
    const d = deps({
      process: (message) => {
        if ((message as { data: string }).data === "data-a2") throw new Error("bad input");
        return "ok";
      },
      post: async (connectionId, data) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        d.posted.push({ connectionId, result: JSON.parse(data) as PatternResult });
      },
    });
    const response = await processBatch({ Records: [record({ id: "a1", group: "A" }), record({ id: "a2", group: "A" }), record({ id: "a3", group: "A" })] }, d);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "a2" }, { itemIdentifier: "a3" }]);
    expect(d.posted.map((p) => p.result.messageId)).toEqual(["a1"]);
  });

  it("handles records of a standard queue (no group) independently", async () => {
    const d = deps();
    const post = vi.fn(async (_c: string, data: string) => {
      if ((JSON.parse(data) as PatternResult).messageId === "s1") throw failure("InternalServerError", 500);
    });
    const response = await processBatch({ Records: [record({ id: "s1" }), record({ id: "s2" })] }, { ...d, post });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "s1" }]);
  });

  it("processes but does not post a message that has no connectionId attribute", async () => {
    const d = deps();
    const response = await processBatch({ Records: [record({ id: "n1", group: "N", connectionId: "" })] }, d);
    expect(response.batchItemFailures).toEqual([]);
    expect(d.posted).toEqual([]);
  });
});

describe("createHandler with the @connections client", () => {
  it("posts per record through the environment's @connections endpoint and reports only the FIFO-rule failures", async () => {
    // A loopback Management API: 410 for one connection, 403 (not retried) for another.
    const posts: { connectionId: string; body: string; authorization: string | undefined }[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const connectionId = decodeURIComponent(/\/@connections\/([^/]+)$/.exec(request.url ?? "")?.[1] ?? "");
        posts.push({ connectionId, body: Buffer.concat(chunks).toString("utf8"), authorization: request.headers.authorization });
        const status = connectionId === "gone=" ? 410 : connectionId === "denied=" ? 403 : 200;
        const type = status === 410 ? "GoneException" : status === 403 ? "ForbiddenException" : undefined;
        response.writeHead(status, type ? { "x-amzn-errortype": type } : {}).end(type ? '{"message":"no"}' : undefined);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => {
      server.closeAllConnections();
      server.close();
    });
    const handler = createHandler(echoData, {
      env: {
        WSQ_CONNECTIONS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/production`,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "a",
        AWS_SECRET_ACCESS_KEY: "b",
        AWS_SESSION_TOKEN: "t",
      },
    });
    const response = await handler({
      Records: [
        record({ id: "g1", group: "G", connectionId: "gone=" }),
        record({ id: "d1", group: "D", connectionId: "denied=" }),
        record({ id: "d2", group: "D", connectionId: "ok=" }),
        record({ id: "o1", group: "O", connectionId: "ok=" }),
      ],
    });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "d1" }, { itemIdentifier: "d2" }]);
    expect(posts.map((p) => p.connectionId).sort()).toEqual(["denied=", "gone=", "ok="]);
    expect(posts.every((p) => p.authorization?.startsWith("AWS4-HMAC-SHA256 Credential=a/"))).toBe(true);
    expect(JSON.parse(posts.find((p) => p.connectionId === "ok=")!.body)).toMatchObject({ type: "result", messageId: "o1", group: "O" });
  });

  it("takes any client with postToConnection", async () => {
    const sent: string[] = [];
    const handler = createHandler(echoData, { client: { postToConnection: async (connectionId) => void sent.push(connectionId) } });
    const response = await handler({ Records: [record({ id: "c1", group: "C", connectionId: "c=" })] });
    expect(response.batchItemFailures).toEqual([]);
    expect(sent).toEqual(["c="]);
  });

  it("retries every record when the endpoint variable is missing, instead of losing results", async () => {
    const handler = createHandler(echoData, { env: {} });
    const response = await handler({ Records: [record({ id: "e1", group: "E" })] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "e1" }]);
  });

  it("refuses a module without a process function", () => {
    expect(() => createHandler(undefined as never)).toThrow(/process/);
  });
});
