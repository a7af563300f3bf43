import { afterEach, describe, expect, it, vi } from "vitest";
import {
  decideDirectives,
  DirectedFailure,
  INTEGRATION_TIMEOUT_MS,
  NO_DEADLINE_WORK_CAP_MS,
  parseDirectives,
  redriveEvidence,
  withDirectives,
  withInvocation,
  workBudgetMs,
  type DeliveryFacts,
} from "../../../src/handler/directives.js";
import { echoData, processBatch, type BatchDependencies, type ProcessContext } from "../../../src/handler/process-batch.js";
import type { SqsRecord } from "../../../src/handler/sqs-event.js";
import { buildMessage, MAX_WORK_MS, type PatternResult } from "../../../src/shared/pattern-messages.js";

const straight: DeliveryFacts = { receiveCount: 1, deduplicationId: "req-1", requestId: "req-1", sentTimestamp: 10_050, requestTimeEpoch: 10_000 };

describe("parseDirectives", () => {
  it("reads work and fail from the wsq member, and nothing from a message without one", () => {
    expect(parseDirectives({ wsq: { work: 20, fail: "once" } })).toEqual({ directives: { work: 20, fail: "once" }, error: null });
    expect(parseDirectives({ wsq: { fail: "always" } })).toEqual({ directives: { fail: "always" }, error: null });
    expect(parseDirectives({ wsq: {} })).toEqual({ directives: {}, error: null });
    expect(parseDirectives({ data: "x" })).toEqual({ directives: null, error: null });
    expect(parseDirectives("plain text")).toEqual({ directives: null, error: null });
    expect(parseDirectives([1, 2])).toEqual({ directives: null, error: null });
  });

  it("reads what buildMessage writes", () => {
    const frame = JSON.parse(buildMessage({ id: "a", group: "g", data: "", directives: { work: 5, fail: "always" } })) as unknown;
    expect(parseDirectives(frame).directives).toEqual({ work: 5, fail: "always" });
    expect(buildMessage({ id: "a", group: "g", data: "", directives: {} })).not.toContain('"wsq"');
  });

  it("refuses a malformed member as a whole, naming what is wrong", () => {
    const cases: [unknown, RegExp][] = [
      [{ wsq: 20 }, /must be an object/],
      [{ wsq: { work: -1 } }, /"work" must be a whole number of milliseconds from 0 to 900000, not -1/],
      [{ wsq: { work: 1.5 } }, /"work"/],
      [{ wsq: { work: "20" } }, /"work"/],
      [{ wsq: { work: MAX_WORK_MS + 1 } }, /"work"/],
      [{ wsq: { fail: "twice", work: 10 } }, /"fail" must be "once" or "always", not "twice"/],
      [{ wsq: { slow: 1 } }, /unknown directive "slow"/],
    ];
    for (const [message, error] of cases) {
      const parsed = parseDirectives(message);
      expect(parsed.directives).toBeNull();
      expect(parsed.error).toMatch(error);
    }
  });
});

describe("redriveEvidence", () => {
  it("takes a message whose deduplication id is API Gateway's request id, enqueued within the integration timeout, as straight from API Gateway", () => {
    expect(redriveEvidence(straight)).toBeNull();
    expect(redriveEvidence({ ...straight, sentTimestamp: straight.requestTimeEpoch! + INTEGRATION_TIMEOUT_MS })).toBeNull();
  });

  it("recognises a redriven FIFO message by the deduplication id SQS gave it when it dead-lettered it", () => {
    expect(redriveEvidence({ ...straight, deduplicationId: "8caa21e6-4bd2-41cb-8553-b8103834ff66" })).toBe("deduplication-id");
  });

  it("recognises a message enqueued later than API Gateway's integration timeout allows (a redrive is a new message)", () => {
    expect(redriveEvidence({ ...straight, deduplicationId: null, sentTimestamp: straight.requestTimeEpoch! + INTEGRATION_TIMEOUT_MS + 1 })).toBe(
      "sent-timestamp",
    );
  });

  it("cannot tell without the attributes, and then takes the message as straight", () => {
    expect(redriveEvidence({ receiveCount: 1, deduplicationId: "x", requestId: null, sentTimestamp: null, requestTimeEpoch: null })).toBeNull();
  });
});

describe("decideDirectives", () => {
  it("fails a fail-once message on its first delivery only, decided by the receive count", () => {
    expect(decideDirectives({ wsq: { fail: "once" } }, straight, 1000)).toMatchObject({ fail: true, failDirective: "once" });
    expect(decideDirectives({ wsq: { fail: "once" } }, { ...straight, receiveCount: 2 }, 1000)).toMatchObject({ fail: false, failDirective: "once" });
  });

  it("fails a fail-always message on every delivery, except once it was redriven", () => {
    for (const receiveCount of [1, 2, 5, 9]) expect(decideDirectives({ wsq: { fail: "always" } }, { ...straight, receiveCount }, 1000).fail).toBe(true);
    const redriven = decideDirectives({ wsq: { fail: "always", work: 5 } }, { ...straight, deduplicationId: "message-id" }, 1000);
    expect(redriven).toMatchObject({ fail: false, redriven: true, workMs: 5 });
  });

  it("caps work to the budget, and applies nothing of a malformed member", () => {
    expect(decideDirectives({ wsq: { work: 5000 } }, straight, 1200.7)).toMatchObject({ workMs: 1200, requestedWorkMs: 5000 });
    expect(decideDirectives({ wsq: { work: 20 } }, straight, -5)).toMatchObject({ workMs: 0 });
    expect(decideDirectives({ wsq: { work: 20, fail: "sometimes" } }, straight, 1000)).toMatchObject({
      workMs: 0,
      fail: false,
      error: expect.stringMatching(/"fail"/),
    });
    expect(decideDirectives({ data: 1 }, straight, 1000)).toEqual({
      workMs: 0,
      requestedWorkMs: null,
      fail: false,
      failDirective: null,
      redriven: false,
      error: null,
    });
  });
});

describe("workBudgetMs", () => {
  it("leaves the reserve before the invocation's deadline, and assumes Lambda's default timeout without one", () => {
    expect(workBudgetMs(1000, { deadline: 16_000, reserveMs: 1000, requestId: null, batchSize: null })).toBe(14_000);
    expect(workBudgetMs(15_500, { deadline: 16_000, reserveMs: 1000, requestId: null, batchSize: null })).toBe(0);
    expect(workBudgetMs(0, undefined)).toBe(NO_DEADLINE_WORK_CAP_MS);
  });
});

// ------------------------------------------------------------------ through processBatch
let sequence = 0;
function record(id: string, group: string, body: unknown, attributes: Partial<{ receiveCount: number; dedup: string; sentTimestamp: number }> = {}): SqsRecord {
  sequence += 1;
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(attributes.receiveCount ?? 1),
      SentTimestamp: String(attributes.sentTimestamp ?? 1010),
      SenderId: "AIDA",
      ApproximateFirstReceiveTimestamp: "1011",
      MessageGroupId: group,
      SequenceNumber: `1884949646046769612${sequence}`,
      MessageDeduplicationId: attributes.dedup ?? `req-${id}`,
    },
    messageAttributes: {
      connectionId: { stringValue: `conn-${group}`, dataType: "String" },
      requestId: { stringValue: `req-${id}`, dataType: "String" },
      requestTimeEpoch: { stringValue: "1000", dataType: "Number" },
    },
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q.fifo",
    awsRegion: "us-east-1",
  };
}

function harness(process = withDirectives(echoData, { sleep: async (ms) => void slept.push(ms) })) {
  const posted: PatternResult[] = [];
  const logs: string[] = [];
  const deps: BatchDependencies = {
    post: async (_connectionId, data) => void posted.push(JSON.parse(data) as PatternResult),
    process,
    now: () => 2000,
    log: (level, message, fields) => logs.push(`${level}: ${message} ${JSON.stringify(fields)}`),
  };
  return { deps, posted, logs };
}
let slept: number[] = [];

describe("withDirectives in a batch", () => {
  afterEach(() => {
    slept = [];
    vi.restoreAllMocks();
  });

  it("spends each message's work, answers with what it applied, and echoes the data", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const h = harness();
    const response = await processBatch(
      { Records: [record("m1", "g", { id: "c-1", wsq: { work: 20 }, data: "x" }), record("m2", "g", { id: "c-2", data: "y" })] },
      h.deps,
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(slept).toEqual([20, 0]);
    expect(h.posted.map((p) => p.data)).toEqual(["x", "y"]);
    expect(h.posted[0]!.consumer).toMatchObject({ workMs: 20, requestedWorkMs: 20, fail: null, redriven: false, directiveError: null, invocation: null });
    expect(h.posted[0]!.consumer!.environment).toMatch(/^[0-9a-f]{8}$/);
    expect(h.posted[1]!.consumer).toMatchObject({ workMs: 0, requestedWorkMs: null });
  });

  it("fails a directed message and hands the rest of its group back, posting nothing for either; other groups go on", async () => {
    const h = harness();
    const response = await processBatch(
      {
        Records: [
          record("a1", "a", { id: "c-a1", wsq: { fail: "always" } }),
          record("a2", "a", { id: "c-a2" }),
          record("b1", "b", { id: "c-b1", wsq: { fail: "once" } }, { receiveCount: 2 }),
        ],
      },
      h.deps,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "a1" }, { itemIdentifier: "a2" }]);
    expect(h.posted.map((p) => p.id)).toEqual(["c-b1"]);
    expect(h.posted[0]!.consumer?.fail).toBe("once");
    // The error `wsq dlq list` shows for the dead letter, tied to the client's id.
    expect(h.logs.find((l) => l.includes('"messageId":"a1"'))).toMatch(
      /processing failed.*DirectedFailure: failed as the message's \\"fail\\":\\"always\\" directive asks \(delivery 1/,
    );
    expect(h.logs.find((l) => l.includes('"messageId":"a1"'))).toContain('"id":"c-a1"');
  });

  it("answers a redriven message whose directive said fail always, and logs that the directive was void", async () => {
    const info = vi.spyOn(console, "log").mockImplementation(() => {});
    const h = harness();
    const response = await processBatch({ Records: [record("r1", "g", { id: "c-r1", wsq: { fail: "always" } }, { dedup: "original-message-id" })] }, h.deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(h.posted[0]!.consumer).toMatchObject({ redriven: true, fail: "always" });
    expect(info.mock.calls.map((c) => String(c[0]))).toContainEqual(expect.stringMatching(/redriven message: its \\"fail\\":\\"always\\" directive is void/));
  });

  it("ignores a malformed member with a warning, and says why in the result", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const h = harness();
    await processBatch({ Records: [record("w1", "g", { id: "c-w1", wsq: { work: "lots" } })] }, h.deps);
    expect(h.posted[0]!.consumer).toMatchObject({ workMs: 0, directiveError: expect.stringMatching(/"work"/) });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/consumer directives ignored/));
  });

  it("a user function is called after the directives, with the same context, and its return value is the data", async () => {
    const seen: ProcessContext[] = [];
    const h = harness(
      withDirectives(
        (message, context) => {
          seen.push(context);
          return { upper: String((message as { data: string }).data).toUpperCase() };
        },
        { sleep: async () => {} },
      ),
    );
    await processBatch({ Records: [record("u1", "g", { id: "c-u1", data: "hi" })] }, h.deps);
    expect(h.posted[0]!.data).toEqual({ upper: "HI" });
    expect(seen[0]!.deduplicationId).toBe("req-u1");
    expect(seen[0]!.sentTimestamp).toBe(1010);
  });
});

describe("withInvocation", () => {
  it("gives the directives the invocation's deadline, request id and batch size, and forgets them after", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const budgets: number[] = [];
    const handler = withInvocation(async (event) => {
      budgets.push(workBudgetMs(Date.now()));
      const h = harness(withDirectives(echoData, { sleep: async () => {} }));
      await processBatch(event, h.deps);
      return { batchItemFailures: h.posted.map((p) => ({ itemIdentifier: `${p.consumer?.invocation}/${p.consumer?.batchSize}` })) };
    });
    const response = await handler(
      { Records: [record("i1", "g", { wsq: { work: 1 } })] },
      { awsRequestId: "lambda-req-1", getRemainingTimeInMillis: () => 3000 },
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "lambda-req-1/1" }]);
    // 3 s left, a fifth of it (600 ms) kept back.
    expect(budgets[0]).toBeGreaterThan(2300);
    expect(budgets[0]).toBeLessThanOrEqual(2400);
    expect(workBudgetMs(Date.now())).toBe(NO_DEADLINE_WORK_CAP_MS);
  });

  it("a directed failure is an Error named DirectedFailure", () => {
    const error = new DirectedFailure("once", 1);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("DirectedFailure");
    expect(error.message).toMatch(/the next delivery succeeds/);
  });
});
