import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SQSClient } from "@aws-sdk/client-sqs";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { LocalCloud } from "../../src/local/server/local-cloud.js";
import type { BurstReport } from "../../src/client/burst/types.js";
import type { PatternResult } from "../../src/shared/pattern-messages.js";
import { runWsq } from "./local-helpers.js";
import { eventually } from "../helpers/eventually.js";
import { sdkConfig, startTestCloud, tempDir } from "../helpers/local-cloud.js";
import { messagesIn, shortenRedelivery, stackOutputs } from "../helpers/pattern-stack.js";
import type { StackOutputs } from "../../src/deploy/stack-outputs.js";

// Issue 20's target, step by step with the built binary against a local cloud: a burst whose
// messages fail as directed ends with exactly those messages in the DLQ; `wsq dlq list` names
// them; `wsq dlq redrive` moves them back; a redriven message's "fail" is void, so they are
// answered, and the DLQ stays empty.
//
// The stack is deployed with BatchSize=1: with larger batches Lambda hands the rest of a failing
// FIFO group's batch back with the failure, and those messages reach maxReceiveCount with it (the
// burst names them; docs/burst.md). To keep the test short, the queue's visibility timeout and
// maxReceiveCount are then lowered through the SQS API, as an operator could (the template allows
// no fewer than 5 receives and a 30 s visibility timeout): a failing message is dead-lettered after
// 2 deliveries, 4 s apart. (Shorter, a delivery that a loaded machine takes more than the visibility
// timeout to process would be handed out again and answered twice.) A small burst first warms the
// function's environments, so that their start is not part of that time either.

const STACK = "consumer";
let cloud: LocalCloud;
let home: string;
let sqs: SQSClient;
let outputs: StackOutputs;
let failAlways: string[] = [];

function wsq(args: string[], timeoutMs?: number) {
  return runWsq([...args, "--endpoint-url", cloud.url, "--stack-name", STACK], home, timeoutMs);
}

const depth = (url: string): Promise<number> => messagesIn(sqs, url);

beforeAll(async () => {
  cloud = await startTestCloud();
  home = tempDir("wsq-consumer-cli-");
  const deploy = await wsq(["deploy", "--yes", "--parameter", "BatchSize=1"], 150_000);
  expect(deploy.code, deploy.stderr).toBe(0);
  sqs = new SQSClient(sdkConfig(cloud));
  outputs = await stackOutputs(sdkConfig(cloud), STACK);
  await shortenRedelivery(sqs, outputs.QueueUrl, { maxReceiveCount: 2, visibilityTimeoutSeconds: 4 });
  const warm = await wsq(["burst", "--count", "50", "--json"], 60_000);
  expect(warm.code, warm.stderr).toBe(0);
}, 200_000);

afterAll(async () => {
  sqs?.destroy();
  await cloud?.stop();
  rmSync(home, { recursive: true, force: true });
}, 30_000);

describe("a burst with failures, its dead letters, and their redrive (wsq burst, wsq dlq)", () => {
  it("wsq burst --count 500 --fail-rate 0.02 --seed 7 ends with exactly the failed messages in the DLQ, counted as dead-lettered, not lost", async () => {
    const run = await wsq(["burst", "--count", "500", "--fail-rate", "0.02", "--seed", "7", "--json"], 120_000);
    const report = JSON.parse(run.stdout) as BurstReport;
    const { ok, lost, deadLettered, deadLetteredUnexpected, dlqHidden, orderViolations, duplicated, throttled, misrouted } = report.verification;
    expect(
      run.code,
      JSON.stringify({
        outcome: report.outcome,
        ok,
        lost,
        deadLettered,
        deadLetteredUnexpected,
        dlqHidden,
        orderViolations,
        duplicated,
        throttled,
        misrouted,
        dlq: report.dlq,
      }),
    ).toBe(0);
    failAlways = [...(report.config.consumer?.failAlways ?? [])].sort();
    expect(failAlways).toHaveLength(10);
    // The seed decides which: the same as any other run with this seed, count and rate.
    expect(report.config.consumer?.flags).toEqual({ workMs: 0, failRate: 0.02, failOnceRate: 0, seed: 7 });
    const v = report.verification;
    expect([...(v.deadLettered ?? [])].sort()).toEqual(failAlways);
    expect([v.lost, v.deadLetteredUnexpected, v.dlqHidden, v.duplicated]).toEqual([[], [], [], []]);
    expect(report.counts.answered).toBe(490);
    expect(report.consumer?.movedToDlq).toBe(10);
    expect(report.consumer?.config?.prediction?.failAlways).toBe(10);
    expect(report.consumer?.measuredDrainMs).toBeGreaterThan(0);
    // And nothing else is there.
    expect(await depth(outputs.DeadLetterQueueUrl)).toBe(10);
  }, 150_000);

  it("--work-ms and --fail-once-rate: every message takes its work, the directed ones are answered on their retry, counted as retried, not duplicated", async () => {
    const events = join(home, "once.ndjson");
    const run = await wsq(
      ["burst", "--count", "40", "--groups", "4", "--work-ms", "30", "--fail-once-rate", "0.1", "--seed", "3", "--json", "--events", events],
      120_000,
    );
    const report = JSON.parse(run.stdout) as BurstReport;
    expect(run.code, JSON.stringify(report.verification)).toBe(0);
    const once = report.config.consumer?.failOnce ?? [];
    expect(once).toHaveLength(4);
    const v = report.verification;
    expect([v.lost, v.duplicated, v.deadLettered]).toEqual([[], [], []]);
    expect(v.retriedDirected).toBe(4);
    expect(v.retried).toBeGreaterThanOrEqual(4);
    expect(report.counts.answered).toBe(40);
    expect(report.consumer?.environments).toBeGreaterThanOrEqual(1);
    expect(report.consumer?.invocations).toBeGreaterThanOrEqual(4);
    expect(report.consumer?.config?.prediction?.failOnce).toBe(4);
    // What the handler said it did, in every result; the directed ones answered on their second delivery.
    const results = readFileSync(events, "utf8")
      .split("\n")
      .filter((line) => line.startsWith('{"type":"result"'))
      .map((line) => (JSON.parse(line) as { result: PatternResult }).result);
    expect(results).toHaveLength(40);
    for (const r of results) expect(r.consumer).toMatchObject({ workMs: 30, requestedWorkMs: 30, redriven: false, directiveError: null });
    for (const r of results.filter((x) => once.includes(x.id ?? ""))) expect([r.receiveCount, r.consumer?.fail]).toEqual([2, "once"]);
    // Each fail-once message waits out the visibility timeout (4 s) before its retry.
    expect(report.consumer?.measuredDrainMs).toBeGreaterThan(4000);
  }, 150_000);

  it("wsq dlq list --json names them, with the directed failure the handler logged", async () => {
    const list = await wsq(["dlq", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    const listed = JSON.parse(list.stdout) as { complete: boolean; messages: { body: string; failure: { error: string | null } | null }[] };
    expect(listed.complete).toBe(true);
    expect(listed.messages.map((m) => (JSON.parse(m.body) as { id: string }).id).sort()).toEqual(failAlways);
    for (const m of listed.messages) {
      expect(JSON.parse(m.body)).toMatchObject({ wsq: { fail: "always" } });
      expect(m.failure?.error).toMatch(/^DirectedFailure: failed as the message's "fail":"always" directive asks/);
    }
  }, 60_000);

  it("wsq dlq redrive --yes moves them back; their fail directive is void, so they are answered and the DLQ stays empty", async () => {
    const startTime = Date.now();
    const run = await wsq(["dlq", "redrive", "--yes", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "COMPLETED", moved: 10, remainingInDeadLetterQueue: 0 });

    // The burst's connections are closed, so each answer is posted to a gone connection: the
    // handler logs it as dropped, which it does only once processing succeeded.
    const logs = new CloudWatchLogsClient(sdkConfig(cloud));
    try {
      const lines = await eventually(
        async () => {
          const events = (
            await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${outputs.FunctionName}`, startTime, filterPattern: "messageId" }))
          ).events;
          const messages = (events ?? []).map((e) => e.message ?? "");
          const answered = failAlways.filter((id) => messages.some((m) => m.includes("connection gone; result dropped") && m.includes(`"id":"${id}"`)));
          return answered.length === failAlways.length ? messages : undefined;
        },
        "every redriven message to be processed and answered",
        60_000,
        250,
      );
      for (const id of failAlways) expect(lines.some((m) => m.includes("is void") && m.includes(`"id":"${id}"`))).toBe(true);
      expect(lines.filter((m) => m.includes("DirectedFailure"))).toEqual([]);
    } finally {
      logs.destroy();
    }
    await eventually(async () => (await depth(outputs.QueueUrl)) === 0, "the queue to be empty", 30_000, 200);
    expect(await depth(outputs.DeadLetterQueueUrl)).toBe(0);
    const list = await wsq(["dlq", "list", "--json"]);
    expect((JSON.parse(list.stdout) as { messages: unknown[] }).messages).toEqual([]);
  }, 120_000);
});
