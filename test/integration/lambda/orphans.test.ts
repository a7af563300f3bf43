/**
 * A local cloud killed with -9 (the daemon, from the built binary) leaves no execution
 * environments behind, even ones whose handler left a timer running: workers exit when their
 * IPC channel to the cloud closes.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { tempDir } from "../../helpers/local-cloud.js";
import { runWsq } from "../../cli/local-helpers.js";
import { LOCAL_CREDENTIALS } from "../../../src/shared/target.js";
import { createFunction, eventually } from "./helpers.js";

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
  it("exit when the local cloud is killed with -9", async () => {
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
    const workers = await Promise.all([1, 2, 3].map(async () => Number(new TextDecoder().decode((await lambda.send(new InvokeCommand({ FunctionName: "lingering" }))).Payload))));
    for (const pid of workers) expect(alive(pid)).toBe(true);
    onTestFinished(() => {
      for (const pid of workers) if (alive(pid)) process.kill(pid, "SIGKILL");
    });

    process.kill(state.pid, "SIGKILL");
    await eventually(async () => workers.every((pid) => !alive(pid)), "every worker to exit", 10_000);
  });
});
