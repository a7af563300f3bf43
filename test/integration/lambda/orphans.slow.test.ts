/**
 * A local cloud killed with -9 (the daemon, from the built binary) leaves no execution
 * environments behind: workers exit when their IPC channel to the cloud closes, even with a timer
 * running; one busy in an endless loop cannot, and is ended by the next start on the same data.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { tempDir } from "../../helpers/local-cloud.js";
import { runWsq } from "../../cli/local-helpers.js";
import { LOCAL_CREDENTIALS } from "../../../src/shared/target.js";
import { createFunction, eventually, receiveAll } from "./helpers.js";

/** Running, and not a zombie waiting for a reaper (a container's PID 1 may never reap it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

describe("execution environments and a killed local cloud", () => {
  it("exit when the local cloud is killed with -9, or at the next start when they could not", async () => {
    const home = tempDir("wsq-orphans-");
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const started = await runWsq(["local", "start", "--port", "0"], home);
    expect(started.code, started.stderr).toBe(0);
    const state = JSON.parse(readFileSync(join(home, "local", "daemon.json"), "utf8")) as { pid: number; url: string; region: string };
    onTestFinished(() => {
      if (alive(state.pid)) process.kill(state.pid, "SIGKILL");
    });
    const lambda = new LambdaClient({ endpoint: state.url, region: state.region, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
    // A handler that keeps its event loop busy forever with a timer, as careless ones do.
    await createFunction(lambda, "lingering", { "index.js": "setInterval(() => {}, 1000); exports.handler = async () => process.pid;" });
    const workers = await Promise.all(
      [1, 2, 3].map(async () => Number(new TextDecoder().decode((await lambda.send(new InvokeCommand({ FunctionName: "lingering" }))).Payload))),
    );
    for (const pid of workers) expect(alive(pid)).toBe(true);
    onTestFinished(() => {
      for (const pid of workers) if (alive(pid)) process.kill(pid, "SIGKILL");
    });

    // One worker is busy in an endless loop: it cannot notice anything.
    const sqs = new SQSClient({ endpoint: state.url, region: state.region, credentials: { ...LOCAL_CREDENTIALS }, maxAttempts: 1 });
    const pids = await sqs.send(new CreateQueueCommand({ QueueName: "pids" }));
    const looper = `const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");
      exports.handler = async () => { await new SQSClient({}).send(new SendMessageCommand({ QueueUrl: process.env.PIDS, MessageBody: String(process.pid) })); for (;;) {} };`;
    await createFunction(lambda, "looper", { "index.js": looper }, { Timeout: 60, Environment: { Variables: { PIDS: pids.QueueUrl! } } });
    await lambda.send(new InvokeCommand({ FunctionName: "looper", InvocationType: "Event" }));
    const looping = Number((await receiveAll(sqs, pids.QueueUrl!, 1))[0]!.Body);
    onTestFinished(() => {
      if (alive(looping)) process.kill(looping, "SIGKILL");
    });

    process.kill(state.pid, "SIGKILL");
    await eventually(async () => workers.every((pid) => !alive(pid)), "every worker to exit", 10_000);
    expect(alive(looping)).toBe(true);

    // The next start on the same data directory ends the one that could not exit by itself.
    const restarted = await runWsq(["local", "start", "--port", "0"], home);
    expect(restarted.code, restarted.stderr).toBe(0);
    onTestFinished(async () => {
      await runWsq(["local", "stop"], home);
    });
    await eventually(async () => !alive(looping), "the looping worker to be ended", 10_000);
  });
});
