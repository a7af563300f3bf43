import { DeleteMessageBatchCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DaemonState } from "../../src/local/daemon/state.js";
import { LOCAL_CREDENTIALS } from "../../src/shared/target.js";
import { killRecorded, runWsq } from "../cli/local-helpers.js";
import { tempDir } from "../helpers/local-cloud.js";
import { stackOutputs } from "../helpers/pattern-stack.js";

// A storm of handler faults through the whole pattern: the processing function throws, exits its
// worker, hangs past its timeout or succeeds, by message, on first deliveries; a few messages fail
// on every delivery. The local cloud stays up, and every message ends answered or dead-lettered.

const home = tempDir("wsq-storm-");
afterAll(async () => {
  await runWsq(["local", "stop"], home);
  killRecorded(`${home}/local`);
  rmSync(home, { recursive: true, force: true });
}, 30_000);

describe("a storm of handler faults", () => {
  it("keeps the local cloud up and ends every message answered or in the DLQ", async () => {
    const started = await runWsq(["local", "start", "--port", "0", "--json"], home);
    expect(started.code, started.stderr).toBe(0);
    const state = JSON.parse(started.stdout) as DaemonState;
    const handler = join(home, "storm.mjs");
    writeFileSync(
      handler,
      [
        "export async function process(message, context) {",
        "  const n = Number(message.seq);",
        "  if (n % 37 === 5) throw new Error('always fails: ' + message.id);",
        "  if (context.receiveCount > 1) return message.data;",
        "  if (n % 11 === 1) throw new Error('first delivery fails');",
        "  if (n % 13 === 2) globalThis.process.exit(3);",
        "  if (n % 17 === 3) await new Promise((resolve) => setTimeout(resolve, 7000));",
        "  if (n % 19 === 4) return Promise.reject('not an Error');",
        "  return message.data;",
        "}",
      ].join("\n"),
    );
    const deploy = await runWsq(["deploy", "--yes", "--handler", handler, "--parameter", "FunctionTimeoutSeconds=5"], home, 120_000);
    expect(deploy.code, deploy.stderr).toBe(0);
    const config = { endpoint: state.url, region: state.region, credentials: LOCAL_CREDENTIALS };
    const outputs = await stackOutputs(config, "wsq");
    // Retries come after the visibility timeout; 6 s is longer than the 5 s function timeout, so a
    // hanging invocation is ended before its messages are handed out again.
    const sqs = new SQSClient(config);
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: outputs.QueueUrl, Attributes: { VisibilityTimeout: "6" } }));
    sqs.destroy();

    // A minute of storm: 240 messages at 4 per second, faults all along.
    const run = await runWsq(["burst", "--count", "240", "--rate", "4", "--connections", "10", "--json", "--timeout", "180"], home, 230_000);
    const report = JSON.parse(run.stdout) as {
      counts: { sent: number; answered: number; lost: number; deadLettered: number };
      verification: { lost: string[]; deadLettered: string[] };
    };
    expect(report.counts.sent).toBe(240);
    // Unanswered means dead-lettered, never vanished: every unanswered message is in the DLQ (the
    // burst finds most of them there itself; a FIFO DLQ shows it at most 10 of a group). The DLQ
    // may also hold messages that were answered once and later failed with a batch, as Lambda's
    // at-least-once processing allows.
    expect(report.counts.answered + report.counts.lost + report.counts.deadLettered).toBe(240);
    expect(report.counts.lost + report.counts.deadLettered).toBeGreaterThan(0);
    const reader = new SQSClient(config);
    const dead = new Set<string>();
    try {
      for (let empty = 0; empty < 2;) {
        const batch = await reader.send(new ReceiveMessageCommand({ QueueUrl: outputs.DeadLetterQueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        const messages = batch.Messages ?? [];
        if (messages.length === 0) empty += 1;
        for (const m of messages) dead.add((JSON.parse(m.Body!) as { id: string }).id);
        if (messages.length > 0)
          await reader.send(
            new DeleteMessageBatchCommand({
              QueueUrl: outputs.DeadLetterQueueUrl,
              Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
      }
    } finally {
      reader.destroy();
    }
    expect([...report.verification.lost, ...report.verification.deadLettered].filter((id) => !dead.has(id))).toEqual([]);
    // The local cloud is still the same process, and serves.
    const status = await runWsq(["local", "status", "--json"], home);
    expect((JSON.parse(status.stdout) as DaemonState).pid).toBe(state.pid);
  }, 300_000);
});
