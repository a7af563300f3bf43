import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { buildMessage, parseIncomingFrame, type PatternResult } from "../../../src/shared/pattern-messages.js";
import type { DeployResult } from "../../../src/deploy/deploy.js";
import type { StatusResult } from "../../../src/deploy/status.js";
import { killRecorded } from "../../cli/local-helpers.js";
import { wsqInProcess, type CliRun } from "../../helpers/wsq-in-process.js";
import { tempDir } from "../../helpers/local-cloud.js";

/** The commands in-process (test/helpers/wsq-in-process.ts); the local cloud they start is its own process. */
const runWsq = (args: string[], home: string, _timeoutMs?: number): Promise<CliRun> => wsqInProcess(args, { home });

// The whole pattern on the local target, the commands in-process and the local cloud from the
// built binary (`npm run build` first), with a private WSQ_HOME: deploy, a WebSocket message
// answered by the deployed handler, an update with a changed parameter, a no-op redeploy, destroy.

const home = tempDir("wsq-pattern-e2e-");
const STEP_MS = 90_000;

beforeAll(async () => {
  // An ephemeral port, so that this test never collides with a local cloud on the default port.
  const start = await runWsq(["local", "start", "--port", "0"], home);
  expect(start.code, start.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await runWsq(["local", "stop"], home);
  killRecorded(`${home}/local`);
  rmSync(home, { recursive: true, force: true });
}, 30_000);

/** Sends one frame and resolves with the result that carries its id. */
async function roundTrip(url: string, id: string, data: unknown): Promise<PatternResult> {
  const socket = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const result = new Promise<PatternResult>((resolve, reject) => {
      socket.on("message", (raw: Buffer) => {
        const frame = parseIncomingFrame(raw.toString("utf8"));
        if (frame.kind === "result" && frame.result.id === id) resolve(frame.result);
        else if (frame.kind === "api-error") reject(new Error(`API error frame: ${frame.error.message}`));
      });
      socket.once("close", (code) => reject(new Error(`closed (${code}) before the result arrived`)));
    });
    socket.send(buildMessage({ id, group: "e2e-group", seq: 1, data }));
    return await result;
  } finally {
    socket.close();
  }
}

/** Sends raw text frames on one connection; resolves with the results and the error frames they got. */
async function rawFrames(url: string, frames: string[]): Promise<{ results: PatternResult[]; errors: string[] }> {
  const socket = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const results: PatternResult[] = [];
    const errors: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      socket.on("message", (raw: Buffer) => {
        const frame = parseIncomingFrame(raw.toString("utf8"));
        if (frame.kind === "result") results.push(frame.result);
        else if (frame.kind === "api-error") errors.push(frame.error.message);
        if (results.length + errors.length === frames.length) resolve();
      });
      socket.once("close", (code) => reject(new Error(`closed (${code}) before every frame was answered`)));
    });
    // One group (the connection's): the results come back in the order the frames were queued,
    // which for frames sent together need not be the order they were sent.
    for (const frame of frames) socket.send(frame);
    await done;
    return { results, errors };
  } finally {
    socket.close();
  }
}

describe("wsq deploy / status / destroy on the local target", () => {
  it(
    "applies to the local cloud without a terminal, after listing the changes and saying why it did not ask",
    async () => {
      const run = await runWsq(["deploy", "--stack-name", "noconfirm"], home, STEP_MS);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain("Changes to stack noconfirm (create");
      expect(run.stderr).toContain("AWS::SQS::Queue");
      expect(run.stderr).toContain("No terminal to confirm on: applying the changes to the local cloud");
      const status = await runWsq(["status", "--stack-name", "noconfirm"], home);
      expect(status.code, status.stderr).toBe(0);
      const destroy = await runWsq(["destroy", "--stack-name", "noconfirm", "--yes"], home, STEP_MS);
      expect(destroy.code, destroy.stderr).toBe(0);
      // Deployed again at once: CloudFormation names the queues afresh, so nothing waits out SQS's
      // 60 s refusal of a deleted queue's name.
      const again = await runWsq(["deploy", "--stack-name", "noconfirm", "--yes"], home, STEP_MS);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).not.toContain("Waiting");
      const destroyAgain = await runWsq(["destroy", "--stack-name", "noconfirm", "--yes"], home, STEP_MS);
      expect(destroyAgain.code, destroyAgain.stderr).toBe(0);
    },
    STEP_MS * 4,
  );

  it(
    "deploys, answers a WebSocket message through queue and handler, updates, and destroys",
    async () => {
      const deploy = await runWsq(["deploy", "--yes", "--json"], home, STEP_MS);
      expect(deploy.code, deploy.stderr).toBe(0);
      const created = JSON.parse(deploy.stdout) as DeployResult;
      expect(created).toMatchObject({ stackName: "wsq", target: "local", operation: "create", status: "CREATE_COMPLETE", noChanges: false });
      expect(created.outputs.WebSocketUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/_aws\/execute-api\/[^/]+\/production$/);
      expect(created.outputs.ConnectionsUrl).toBe(created.outputs.WebSocketUrl.replace(/^ws:/, "http:"));
      expect(created.outputs.QueueUrl).toMatch(/\/wsq-Queue-[A-Z0-9]{12}\.fifo$/);
      expect(created.outputs.DeadLetterQueueUrl).toMatch(/\/wsq-DeadLetterQueue-[A-Z0-9]{12}\.fifo$/);
      expect(created.outputs.FunctionName).toBe("wsq-handler");

      const result = await roundTrip(created.outputs.WebSocketUrl, "e2e-1", { hello: "wörld & more=+" });
      expect(result).toMatchObject({ type: "result", id: "e2e-1", seq: 1, group: "e2e-group", receiveCount: 1, data: { hello: "wörld & more=+" } });
      expect(result.connectionId).not.toBe("");
      expect(result.requestId).toEqual(expect.any(String));
      expect(result.sequenceNumber).toMatch(/^\d+$/);
      expect(result.queueWaitMs).toBeGreaterThanOrEqual(0);

      // Frames that are not JSON objects reach the handler verbatim, in the connection's own group;
      // a frame that starts like an object but is not JSON gets the gateway's error frame.
      const raw = await rawFrames(created.outputs.WebSocketUrl, ["plain text & more=1", "42", '[1, "two"]', "{not json"]);
      expect(raw.results.map((r) => r.data)).toEqual(expect.arrayContaining(["plain text & more=1", 42, [1, "two"]]));
      expect(raw.results).toHaveLength(3);
      // Answered in the queue's order (its sequence numbers), whatever order the frames reached it in.
      const sequence = raw.results.map((r) => BigInt(r.sequenceNumber!));
      expect([...sequence].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(sequence);
      for (const r of raw.results) expect(r).toMatchObject({ id: null, group: r.connectionId, receiveCount: 1 });
      expect(raw.errors).toEqual(["Internal server error"]);

      const status = await runWsq(["status", "--json"], home);
      expect(status.code, status.stderr).toBe(0);
      const before = JSON.parse(status.stdout) as StatusResult;
      expect(before.status).toBe("CREATE_COMPLETE");
      expect(before.queue).toEqual({ ok: true, value: { visible: 0, inFlight: 0, deadLetter: 0 } });
      expect(before.function).toMatchObject({
        ok: true,
        value: { runtime: "nodejs22.x", architectures: ["arm64"], timeoutSeconds: 15, eventSource: { batchSize: 10, reportBatchItemFailures: true } },
      });

      const update = await runWsq(["deploy", "--yes", "--json", "--parameter", "BatchSize=5"], home, STEP_MS);
      expect(update.code, update.stderr).toBe(0);
      const updated = JSON.parse(update.stdout) as DeployResult;
      expect(updated).toMatchObject({ operation: "update", status: "UPDATE_COMPLETE", noChanges: false });
      expect(updated.changes.map((c) => c.logicalId)).toContain("EventSourceMapping");
      expect(updated.handler.uploaded).toBe(false);
      const after = JSON.parse((await runWsq(["status", "--json"], home)).stdout) as StatusResult;
      expect(after.parameters.BatchSize).toBe("5");
      expect(after.function).toMatchObject({ ok: true, value: { eventSource: { batchSize: 5 } } });
      // Still answering after the update.
      expect((await roundTrip(updated.outputs.WebSocketUrl, "e2e-2", 2)).data).toBe(2);

      // The same again: a clean "no changes", and the earlier BatchSize kept.
      const again = await runWsq(["deploy", "--yes"], home, STEP_MS);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr + again.stdout).toMatch(/no changes|up to date/);

      const destroy = await runWsq(["destroy", "--yes", "--purge-assets"], home, STEP_MS);
      expect(destroy.code, destroy.stderr).toBe(0);
      expect(destroy.stdout).toContain("Stack wsq deleted (DELETE_COMPLETE)");
      expect(destroy.stdout).toContain("Asset bucket emptied");
      const gone = await runWsq(["status"], home);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toMatch(/No stack named "wsq"/);
    },
    4 * STEP_MS,
  );
});
