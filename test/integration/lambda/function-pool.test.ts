/**
 * The pool's choice between waiting for a busy environment and starting another, with real worker
 * processes and the host's CPU reading replaced by a fixed answer, so each branch can be shown.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { bootstrapPath } from "../../../src/local/lambda/bootstrap-path.js";
import { FunctionPool, StartGate } from "../../../src/local/lambda/function-pool.js";
import type { FunctionSpec } from "../../../src/local/lambda/function-spec.js";
import type { HostCpu } from "../../../src/local/lambda/host-cpu.js";
import { LOCAL_EAGER_ENVIRONMENTS, MAX_START_PATIENCE_MS } from "../../../src/local/lambda/limits.js";
import { silentLogger } from "../../../src/local/server/logger.js";
import { tempDir } from "../../helpers/local-cloud.js";

async function pool(idle: boolean | Pick<HostCpu, "takeIdle">): Promise<FunctionPool> {
  const dataDir = tempDir("wsq-pool-");
  const code = join(dataDir, "code");
  mkdirSync(code);
  // Each invocation holds its environment for `holdMs` and says which environment it ran in.
  writeFileSync(
    join(code, "index.js"),
    "exports.handler = async (event, context) => { await new Promise((r) => setTimeout(r, event.holdMs)); return context.logStreamName; };",
  );
  const spec: FunctionSpec = {
    name: "pooled",
    arn: "arn:aws:lambda:us-east-1:000000000000:function:pooled",
    runtime: "nodejs22.x",
    handler: "index.handler",
    codeDirectory: code,
    timeoutSeconds: 10,
    memoryMb: 128,
    environment: {},
    logGroup: "/aws/lambda/pooled",
    reservedConcurrency: undefined,
    revisionId: "r1",
  };
  const created = new FunctionPool(
    spec,
    {
      logs: { createLogGroup: async () => undefined, deleteLogGroup: async () => undefined, putLogEvents: () => undefined },
      log: silentLogger,
      region: "us-east-1",
      endpointUrl: "http://127.0.0.1:9",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      bootstrap: await bootstrapPath(),
      nodePath: undefined,
      dataDir,
      now: () => Date.now(),
    },
    new StartGate(2),
    typeof idle === "boolean" ? { takeIdle: () => idle } : idle,
  );
  onTestFinished(() => created.close());
  return created;
}

async function run(target: FunctionPool, holdMs: number): Promise<string> {
  const outcome = await target.invoke(JSON.stringify({ holdMs }), { throttle: false });
  expect(outcome.functionError).toBeUndefined();
  return outcome.payload as string;
}

/** One environment per core, each proven by a call that held it while the others started. */
async function eagerEnvironments(target: FunctionPool): Promise<Set<string>> {
  const streams = new Set(await Promise.all(Array.from({ length: LOCAL_EAGER_ENVIRONMENTS }, () => run(target, 1_500))));
  expect(streams.size).toBe(LOCAL_EAGER_ENVIRONMENTS);
  return streams;
}

describe("FunctionPool: wait for a warm environment, or start another", () => {
  it("with the host's CPU busy, a call beyond one environment per core waits for a busy one to come free", async () => {
    const target = await pool(false);
    const streams = await eagerEnvironments(target);
    // Held for 50 ms: one of them comes free well within what the extra call waits (MAX_START_PATIENCE_MS).
    const calls = [...Array.from({ length: LOCAL_EAGER_ENVIRONMENTS }, () => run(target, 50)), run(target, 0)];
    for (const stream of await Promise.all(calls)) streams.add(stream);
    expect(streams.size).toBe(LOCAL_EAGER_ENVIRONMENTS);
    expect(target.environmentCount).toBe(LOCAL_EAGER_ENVIRONMENTS);
  });

  it("with idle CPU on the host, it starts another at once", async () => {
    const target = await pool(true);
    const streams = await eagerEnvironments(target);
    // Held for less than a waiting call would wait (MAX_START_PATIENCE_MS): the extra call runs in
    // a new environment only because it started one at once.
    const calls = [...Array.from({ length: LOCAL_EAGER_ENVIRONMENTS }, () => run(target, MAX_START_PATIENCE_MS / 2)), run(target, 0)];
    const extra = await calls[calls.length - 1]!;
    expect(streams.has(extra)).toBe(false);
    for (const stream of await Promise.all(calls)) streams.add(stream);
    expect(streams.size).toBe(LOCAL_EAGER_ENVIRONMENTS + 1);
  });

  it("a call already waiting starts another once the host's CPU turns idle: the pool reads it again while calls wait", async () => {
    // Busy when the call arrives, idle afterwards; one grant, as a reading gives one.
    const host = { idleNow: false, granted: false };
    const target = await pool({
      takeIdle: () => {
        if (!host.idleNow || host.granted) return false;
        host.granted = true;
        return true;
      },
    });
    let heldDone = false;
    const held = Promise.all(Array.from({ length: LOCAL_EAGER_ENVIRONMENTS }, () => run(target, 3 * MAX_START_PATIENCE_MS))).then((streams) => {
      heldDone = true;
      return streams;
    });
    await vi.waitFor(() => expect(target.environmentCount).toBe(LOCAL_EAGER_ENVIRONMENTS));
    const extra = run(target, 0);
    // The call is waiting (the CPU was busy when it came); now the cores turn idle. No new call
    // arrives to read them: only the waiting call's own re-reading can take the grant.
    host.idleNow = true;
    const stream = await extra;
    expect(host.granted).toBe(true);
    expect(heldDone).toBe(false);
    expect((await held).includes(stream)).toBe(false);
    expect(target.environmentCount).toBe(LOCAL_EAGER_ENVIRONMENTS + 1);
  });
});

describe("FunctionPool: environments initialized before a call needs them (prewarm)", () => {
  it("starts up to the count asked, each ready for the first calls, which start none of their own", async () => {
    const target = await pool(false);
    target.prewarm(2);
    expect(target.environmentCount).toBe(2);
    // A call that comes while they initialize gets one of them, not a start of its own.
    const streams = new Set(await Promise.all([run(target, 300), run(target, 300)]));
    expect(streams.size).toBe(2);
    expect(target.environmentCount).toBe(2);
    // Asking again adds none: the count is of environments in all.
    target.prewarm(2);
    expect(target.environmentCount).toBe(2);
  });

  it("starts only as many as there are free start slots, and none beyond the function's limit", async () => {
    const target = await pool(false);
    target.prewarm(5);
    // The gate of this pool has two slots: the rest is left to the calls that need them.
    expect(target.environmentCount).toBe(2);
    await run(target, 0);
    target.update({ ...(target as unknown as { spec: FunctionSpec }).spec, reservedConcurrency: 1, revisionId: "r2" });
    await vi.waitFor(() => expect(target.environmentCount).toBe(0));
    target.prewarm(5);
    expect(target.environmentCount).toBe(1);
  });
});
