import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import * as pty from "node-pty";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import type { LocalCloud } from "../../src/local/server/local-cloud.js";
import { buildMessage } from "../../src/shared/pattern-messages.js";
import { runWsq, WSQ_BIN } from "./local-helpers.js";
import { eventually } from "../helpers/eventually.js";
import { sdkConfig, startTestCloud, tempDir } from "../helpers/local-cloud.js";
import { messagesIn, shortenRedelivery, stackOutputs } from "../helpers/pattern-stack.js";
import type { StackOutputs } from "../../src/deploy/stack-outputs.js";
import { openFrameClient, type FrameClient } from "../helpers/ws-client.js";

// `wsq dlq` (the built binary) against a pattern deployed on a local cloud with a handler that
// fails "poison" messages until a marker file exists: the failures are dead-lettered by SQS as in
// real life, listed with the handler's logged error, redriven once "fixed", and answered.

const STACK = "dlqcli";
let cloud: LocalCloud;
let home: string;
let sqs: SQSClient;
let outputs: StackOutputs;
let fixedMarker: string;
let client: FrameClient;
const answers: { id: string; messageId: string }[] = [];

function wsq(args: string[], timeoutMs?: number) {
  return runWsq(["dlq", ...args, "--endpoint-url", cloud.url, "--stack-name", STACK], home, timeoutMs);
}

const depth = (url: string): Promise<number> => messagesIn(sqs, url);

beforeAll(async () => {
  // Ordered frames: the messages below are sent together and their queue order is what the
  // listing is checked against; by default frames sent together may reach the queue in any order.
  cloud = await startTestCloud({ orderedFrames: true });
  home = tempDir("wsq-dlq-cli-");
  fixedMarker = join(home, "fixed");
  const handler = join(home, "poison-handler.mjs");
  writeFileSync(
    handler,
    [
      'import { existsSync } from "node:fs";',
      "export function process(message) {",
      `  if (message.data === "poison" && !existsSync(${JSON.stringify(fixedMarker)})) throw new Error("planned failure for " + message.id);`,
      "  return message.data;",
      "}",
    ].join("\n"),
  );
  const deploy = await runWsq(["deploy", "--yes", "--endpoint-url", cloud.url, "--stack-name", STACK, "--handler", handler], home, 150_000);
  expect(deploy.code, deploy.stderr).toBe(0);
  sqs = new SQSClient(sdkConfig(cloud));
  outputs = await stackOutputs(sdkConfig(cloud), STACK);
  // Through the SQS API, as an operator could: one delivery before the DLQ, handed out again
  // 5 s after a failure, so a failing message reaches the DLQ within the test.
  await shortenRedelivery(sqs, outputs.QueueUrl, { maxReceiveCount: 1, visibilityTimeoutSeconds: 5 });
  client = await openFrameClient(outputs.WebSocketUrl);
  void (async () => {
    for (;;) {
      const frame = JSON.parse(await client.next()) as { type?: string; id?: string; messageId?: string };
      if (frame.type === "result" && frame.id !== undefined) answers.push({ id: frame.id, messageId: frame.messageId ?? "" });
    }
  })();
}, 200_000);

afterAll(async () => {
  client?.socket.terminate();
  sqs?.destroy();
  await cloud?.stop();
  rmSync(home, { recursive: true, force: true });
}, 30_000);

function send(messages: { id: string; group: string; data: string }[]): void {
  for (const m of messages) client.socket.send(buildMessage(m));
}

interface ListedJson {
  depth: { visible: number; inFlight: number };
  complete: boolean;
  messages: {
    messageId: string;
    group: string;
    body: string;
    receiveCount: number;
    sizeBytes: number;
    ageSeconds: number;
    failure: { error: string } | null;
  }[];
  effect: string;
}

describe("wsq dlq against a deployed pattern", () => {
  it("list shows each dead letter with its handler error, in queue order, and consumes none", async () => {
    send([
      { id: "p1-a", group: "p1", data: "poison" },
      { id: "p1-b", group: "p1", data: "poison" },
      { id: "p2-a", group: "p2", data: "poison" },
      { id: "ok-1", group: "ok", data: "fine" },
    ]);
    await eventually(
      async () => (await depth(outputs.DeadLetterQueueUrl)) === 3 && answers.some((a) => a.id === "ok-1"),
      "the poison to be dead-lettered",
      60_000,
      200,
    );

    const first = await wsq(["list", "--json"]);
    expect(first.code, first.stderr).toBe(0);
    const listed = JSON.parse(first.stdout) as ListedJson;
    expect(listed.depth).toEqual({ visible: 3, inFlight: 0 });
    expect(listed.complete).toBe(true);
    expect(listed.messages.map((m) => [JSON.parse(m.body).id, m.group])).toEqual([
      ["p1-a", "p1"],
      ["p1-b", "p1"],
      ["p2-a", "p2"],
    ]);
    for (const m of listed.messages) {
      expect(m.receiveCount).toBeGreaterThanOrEqual(1);
      expect(m.sizeBytes).toBeGreaterThan(m.body.length);
      expect(m.ageSeconds).toBeGreaterThanOrEqual(0);
    }
    // The two that threw logged why; p1-b may have failed behind p1-a in the same batch (not run, not logged).
    expect(listed.messages[0]?.failure?.error).toBe("Error: planned failure for p1-a");
    expect(listed.messages[2]?.failure?.error).toBe("Error: planned failure for p2-a");
    expect(listed.effect).toMatch(/none was deleted/);

    // Listed again: the same messages in the same order, each received once more; none gone.
    const second = JSON.parse((await wsq(["list", "--json"])).stdout) as ListedJson;
    expect(second.messages.map((m) => m.messageId)).toEqual(listed.messages.map((m) => m.messageId));
    expect(second.messages.map((m) => m.receiveCount)).toEqual(listed.messages.map((m) => m.receiveCount + 1));
    expect(await depth(outputs.DeadLetterQueueUrl)).toBe(3);

    const text = await wsq(["list"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Dead-letter queue \S+: 3 messages/);
    expect(text.stdout).toContain(listed.messages[0]?.messageId);
    expect(text.stdout).toMatch(/group p1 {2}received \d+× {2}in the DLQ/);
    expect(text.stdout).toMatch(/error processing failed; the record will be retried: Error: planned failure for p2-a/);
    expect(text.stderr).toMatch(/ApproximateReceiveCount went up by one/);
  }, 90_000);

  it("redrive asks first, then moves them back; once fixed, they are answered, each group in order", async () => {
    const refused = await wsq(["redrive"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/without confirmation: there is no terminal/);
    expect(refused.stderr).toMatch(/--yes/);
    expect(await depth(outputs.DeadLetterQueueUrl)).toBe(3);

    writeFileSync(fixedMarker, "");
    const run = await wsq(["redrive", "--yes", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "COMPLETED", moved: 3, toMove: 3, remainingInDeadLetterQueue: 0, interrupted: false });
    expect(run.stderr).toMatch(/Moved 3 dead letters back/);
    await eventually(async () => ["p1-a", "p1-b", "p2-a"].every((id) => answers.some((a) => a.id === id)), "the redriven messages to be answered", 60_000, 200);
    const order = answers.map((a) => a.id);
    expect(order.indexOf("p1-a")).toBeLessThan(order.indexOf("p1-b"));
    // Each answered once: nothing was moved twice.
    for (const id of ["p1-a", "p1-b", "p2-a"]) expect(order.filter((x) => x === id)).toHaveLength(1);

    const again = await wsq(["redrive", "--yes"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is empty: there is nothing to redrive/);
    const tasks = JSON.parse((await wsq(["tasks", "--json"])).stdout) as { tasks: { status: string; moved: number }[] };
    expect(tasks.tasks[0]).toMatchObject({ status: "COMPLETED", moved: 3 });
  }, 90_000);

  it("on a terminal: asks, shows progress, and Ctrl-C stops following while the task runs on; cancel and purge", async () => {
    rmSync(fixedMarker, { force: true });
    const ids = Array.from({ length: 6 }, (_, i) => `q${i}`);
    send(ids.map((id) => ({ id, group: id, data: "poison" })));
    const dlqUrl = outputs.DeadLetterQueueUrl;
    await eventually(async () => (await depth(dlqUrl)) === ids.length, "the new poison to be dead-lettered", 60_000, 200);
    // Held in flight by this test, the dead letters cannot move: the task stays RUNNING, whatever the machine's speed.
    const held: Message[] = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 120 }))).Messages ?? [];
    expect(held).toHaveLength(ids.length);

    const term = terminal(["dlq", "redrive", "--rate", "1", "--endpoint-url", cloud.url, "--stack-name", STACK], home);
    await term.waitFor(/Move 6 dead letters from \S+ back to \S+ at most 1 a second\? \[y\/N\]/);
    term.type("y\r");
    await term.waitFor(/Redriving/);
    term.type("\x03");
    expect(await term.exited).toBe(130);
    expect(await term.waitFor(/keeps running inside SQS/)).toMatch(/wsq dlq tasks --stack-name dlqcli.*wsq dlq cancel --stack-name dlqcli/s);

    const tasks = JSON.parse((await wsq(["tasks", "--json"])).stdout) as { tasks: { status: string; rate: number }[] };
    expect(tasks.tasks[0]).toMatchObject({ status: "RUNNING", rate: 1 });
    const second = await wsq(["redrive", "--yes"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already running/);

    const cancel = await wsq(["cancel"]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toMatch(/Cancelled the redrive/);
    await eventually(
      async () => (JSON.parse((await wsq(["tasks", "--json"])).stdout) as typeof tasks).tasks[0]?.status === "CANCELLED",
      "the task to be cancelled",
    );

    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: dlqUrl,
        Entries: held.map((m, i) => ({ Id: `h${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
      }),
    );
    const unconfirmed = await wsq(["purge"]);
    expect(unconfirmed.code).toBe(2);
    expect(await depth(dlqUrl)).toBe(ids.length);
    const purge = await wsq(["purge", "--yes", "--json"]);
    expect(purge.code, purge.stderr).toBe(0);
    expect(JSON.parse(purge.stdout)).toMatchObject({ purged: true, messages: ids.length });
    expect(await depth(dlqUrl)).toBe(0);
  }, 120_000);

  it("names the problem and the fix: no such stack, a bad flag", async () => {
    const missing = await runWsq(["dlq", "list", "--endpoint-url", cloud.url, "--stack-name", "nope"], home);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No stack named "nope"/);
    expect(missing.stderr).toMatch(/Fix: .*wsq deploy --stack-name nope/);
    const badRate = await wsq(["redrive", "--rate", "0"]);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toMatch(/--rate must be a whole number from 1 to 500/);
  });
});

/** The built binary in a pseudo-terminal: what a person at a terminal sees and types. */
function terminal(args: string[], wsqHome: string): { type(text: string): void; waitFor(pattern: RegExp): Promise<string>; exited: Promise<number> } {
  const term = pty.spawn(process.execPath, [WSQ_BIN, ...args], {
    name: "xterm-256color",
    cols: 160,
    rows: 40,
    env: { ...process.env, WSQ_HOME: wsqHome, NO_COLOR: "1", TERM: "xterm-256color", CI: "" },
  });
  let screen = "";
  let done = false;
  const listeners = new Set<() => void>();
  term.onData((data) => {
    screen += data;
    for (const listener of [...listeners]) listener();
  });
  const exited = new Promise<number>((resolve) =>
    term.onExit(({ exitCode }) => {
      done = true;
      resolve(exitCode);
      for (const listener of [...listeners]) listener();
    }),
  );
  onTestFinished(() => {
    if (!done) term.kill();
  });
  return {
    type: (text) => term.write(text),
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const text = stripVTControlCharacters(screen);
          if (pattern.test(text)) {
            listeners.delete(check);
            resolve(text);
          } else if (done) {
            listeners.delete(check);
            reject(new Error(`exited before ${pattern}; screen:\n${text}`));
          }
        };
        listeners.add(check);
        check();
      }),
    exited,
  };
}
