/**
 * The function runtime through @aws-sdk/client-lambda against the real local cloud: code from a
 * zip, CommonJS and ESM handlers, the context object and environment, warm state, and isolation
 * (a throw, a crash, process.exit, an endless loop and an unhandled rejection each fail only
 * their own invocation; the next one runs in a fresh worker).
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import {
  DeleteFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  PutFunctionConcurrencyCommand,
  type LambdaClient,
} from "@aws-sdk/client-lambda";
import { CreateQueueCommand } from "@aws-sdk/client-sqs";
import { useTestCloud } from "../../helpers/local-cloud.js";
import { LOCAL_MAX_CONCURRENT_STARTS, LOCAL_MAX_ENVIRONMENTS_PER_FUNCTION } from "../../../src/local/lambda/limits.js";
import { clients, createFunction, eventually, functionLog, receiveAll } from "./helpers.js";

const decoder = new TextDecoder();

async function invoke(lambda: LambdaClient, name: string, payload: unknown = {}) {
  const result = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
  return { functionError: result.FunctionError, payload: JSON.parse(decoder.decode(result.Payload)) as Record<string, unknown> };
}

const PROBE = `
let invocations = 0;
exports.handler = async (event, context) => {
  invocations++;
  if (event.mode === "throw") throw new TypeError("bad input");
  if (event.mode === "exit") process.exit(3);
  if (event.mode === "loop") for (;;) {}
  if (event.mode === "reject") { Promise.reject(new Error("forgotten")); await new Promise((r) => setTimeout(r, 1000)); }
  if (event.mode === "crash") { setTimeout(() => { throw new Error("late crash"); }, 0); await new Promise((r) => setTimeout(r, 1000)); }
  console.log("probe", JSON.stringify(event));
  return {
    invocations, pid: process.pid,
    requestId: context.awsRequestId, functionName: context.functionName, functionVersion: context.functionVersion,
    arn: context.invokedFunctionArn, memory: context.memoryLimitInMB, group: context.logGroupName, stream: context.logStreamName,
    remaining: context.getRemainingTimeInMillis(),
    env: { region: process.env.AWS_REGION, name: process.env.AWS_LAMBDA_FUNCTION_NAME, endpoint: process.env.AWS_ENDPOINT_URL, custom: process.env.GREETING, key: process.env.AWS_ACCESS_KEY_ID },
  };
};`;

describe("Lambda function runtime", () => {
  it("runs a zip's CommonJS handler with Lambda's context and environment, warm between invocations", async () => {
    const cloud = await useTestCloud();
    const { lambda, logs } = clients(cloud);
    await createFunction(lambda, "probe", { "index.js": PROBE }, { Environment: { Variables: { GREETING: "hello" } }, MemorySize: 256, Timeout: 7 });

    const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "probe" }));
    expect(configuration).toMatchObject({
      FunctionName: "probe",
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      Timeout: 7,
      MemorySize: 256,
      State: "Active",
      FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:probe",
    });

    const first = await invoke(lambda, "probe", { n: 1 });
    expect(first.functionError).toBeUndefined();
    expect(first.payload).toMatchObject({
      invocations: 1,
      functionName: "probe",
      functionVersion: "$LATEST",
      arn: "arn:aws:lambda:us-east-1:000000000000:function:probe",
      memory: "256",
      group: "/aws/lambda/probe",
      env: { region: "us-east-1", name: "probe", endpoint: cloud.url, custom: "hello", key: "wsqlocal" },
    });
    expect(first.payload.remaining).toBeGreaterThan(0);
    expect(first.payload.remaining).toBeLessThanOrEqual(7000);
    const second = await invoke(lambda, "probe", { n: 2 });
    // The same warm worker: module state kept, same process.
    expect(second.payload).toMatchObject({ invocations: 2, pid: first.payload.pid, stream: first.payload.stream });
    expect(second.payload.requestId).not.toBe(first.payload.requestId);

    const lines = await functionLog(logs, "probe");
    const requestId = String(first.payload.requestId);
    // The declared runtime's major differs from the host's: said once, first in the function's log.
    const warnings = lines.filter((line) => line.includes("declares nodejs22.x; the local cloud runs it on the host's Node.js"));
    expect(warnings).toHaveLength(process.versions.node.startsWith("22.") ? 0 : 1);
    expect(lines).toContain(`START RequestId: ${requestId} Version: $LATEST`);
    expect(lines).toContain(`END RequestId: ${requestId}`);
    expect(lines.some((line) => line.includes(`\t${requestId}\tINFO\tprobe {"n":1}`))).toBe(true);
    const report = lines.find((line) => line.startsWith(`REPORT RequestId: ${requestId}`));
    expect(report).toMatch(/Duration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms/);
  });

  it("runs an ESM handler in a subfolder that imports the runtime's AWS SDK", async () => {
    const cloud = await useTestCloud();
    const { lambda } = clients(cloud);
    // ESM resolves packages only from node_modules folders above the file: the SDK must be found that way.
    const source = [
      'import { SQSClient, GetQueueUrlCommand } from "@aws-sdk/client-sqs";',
      "const sqs = new SQSClient({});",
      "export const main = async (event) => {",
      "  const found = await sqs.send(new GetQueueUrlCommand({ QueueName: event.queue })).then((r) => r.QueueUrl, (e) => e.name);",
      "  return { doubled: event.n * 2, found };",
      "};",
    ].join("\n");
    await createFunction(lambda, "esm", { "src/app.mjs": source }, { Handler: "src/app.main" });
    expect((await invoke(lambda, "esm", { n: 21, queue: "nothing-here" })).payload).toEqual({ doubled: 42, found: "QueueDoesNotExist" });
  });

  it("survives a throw, process.exit, an uncaught exception, an unhandled rejection and an endless loop", async () => {
    const cloud = await useTestCloud();
    const { lambda, logs } = clients(cloud);
    await createFunction(lambda, "fragile", { "index.js": PROBE }, { Timeout: 1 });
    const warm = await invoke(lambda, "fragile");

    const thrown = await invoke(lambda, "fragile", { mode: "throw" });
    expect(thrown.functionError).toBe("Unhandled");
    expect(thrown.payload).toMatchObject({ errorType: "TypeError", errorMessage: "bad input" });
    // A handled throw keeps the worker.
    expect((await invoke(lambda, "fragile")).payload.pid).toBe(warm.payload.pid);

    const exited = await invoke(lambda, "fragile", { mode: "exit" });
    expect(exited.functionError).toBe("Unhandled");
    expect(exited.payload).toMatchObject({ errorType: "Runtime.ExitError" });
    expect(String(exited.payload.errorMessage)).toContain("exit status 3");

    const crashed = await invoke(lambda, "fragile", { mode: "crash" });
    expect(crashed.functionError).toBe("Unhandled");
    expect(crashed.payload).toMatchObject({ errorType: "Error", errorMessage: "late crash" });

    const rejected = await invoke(lambda, "fragile", { mode: "reject" });
    expect(rejected.functionError).toBe("Unhandled");
    expect(rejected.payload).toMatchObject({ errorType: "Runtime.UnhandledPromiseRejection", errorMessage: "Error: forgotten" });

    const looped = await invoke(lambda, "fragile", { mode: "loop" });
    expect(looped.functionError).toBe("Unhandled");
    expect(String(looped.payload.errorMessage)).toContain("Task timed out after 1.00 seconds");

    const after = await invoke(lambda, "fragile");
    expect(after.functionError).toBeUndefined();
    expect(after.payload.pid).not.toBe(warm.payload.pid);

    const lines = await functionLog(logs, "fragile");
    expect(lines.some((line) => /Task timed out after 1\.00 seconds$/.test(line))).toBe(true);
    expect(lines.some((line) => line.includes("Status: timeout"))).toBe(true);
  });

  it("bounds concurrency by ReservedConcurrentExecutions: a direct Invoke beyond it is throttled (429), 0 stops the function", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const started = await sqs.send(new CreateQueueCommand({ QueueName: "started" }));
    const handler = `
      const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");
      const sqs = new SQSClient({});
      exports.handler = async (event) => {
        await sqs.send(new SendMessageCommand({ QueueUrl: process.env.STARTED_URL, MessageBody: "started" }));
        await new Promise((resolve) => setTimeout(resolve, event.holdMs));
        return "done";
      };`;
    await createFunction(lambda, "bounded", { "index.js": handler }, { Environment: { Variables: { STARTED_URL: started.QueueUrl! } } });
    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: "bounded", ReservedConcurrentExecutions: 1 }));

    const holding = invoke(lambda, "bounded", { holdMs: 1500 });
    await receiveAll(sqs, started.QueueUrl!, 1);
    await expect(invoke(lambda, "bounded", { holdMs: 0 })).rejects.toMatchObject({ name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } });
    expect((await holding).payload as unknown).toBe("done");

    await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: "bounded", ReservedConcurrentExecutions: 0 }));
    await expect(invoke(lambda, "bounded", { holdMs: 0 })).rejects.toMatchObject({ name: "TooManyRequestsException" });
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: "bounded" }));
    expect((await invoke(lambda, "bounded", { holdMs: 0 })).payload as unknown).toBe("done");
    // Without a reservation only the account's concurrency (1,000) would throttle: calls beyond the
    // local cloud's 10 environments wait for one instead of failing.
    const burst = await Promise.all(Array.from({ length: 14 }, () => invoke(lambda, "bounded", { holdMs: 200 })));
    expect(burst.map((result) => result.payload as unknown)).toEqual(Array.from({ length: 14 }, () => "done"));
  });

  it("starts environments a few at a time, however many calls arrive at once; each reports its Init Duration once", async () => {
    const cloud = await useTestCloud();
    const { lambda, logs } = clients(cloud);
    // An INIT that keeps a core busy for 400 ms, and records when it ran.
    const handler = `
      const initStarted = Date.now();
      while (Date.now() < initStarted + 400) {}
      const initEnded = Date.now();
      exports.handler = async (event, context) => {
        await new Promise((resolve) => setTimeout(resolve, event.holdMs));
        return { stream: context.logStreamName, initStarted, initEnded };
      };`;
    await createFunction(lambda, "cold-crowd", { "index.js": handler });
    const calls = LOCAL_MAX_ENVIRONMENTS_PER_FUNCTION;
    const results = await Promise.all(Array.from({ length: calls }, () => invoke(lambda, "cold-crowd", { holdMs: 300 })));
    expect(results.every((r) => r.functionError === undefined)).toBe(true);
    const environments = new Map(results.map((r) => [r.payload.stream as string, r.payload as { initStarted: number; initEnded: number }]));
    // At no moment were more environments in INIT than the local cloud lets start at once.
    const edges = [...environments.values()].flatMap((e) => [
      { at: e.initStarted, step: 1 },
      { at: e.initEnded, step: -1 },
    ]);
    edges.sort((a, b) => a.at - b.at || a.step - b.step);
    let inInit = 0;
    let most = 0;
    for (const edge of edges) most = Math.max(most, (inInit += edge.step));
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(LOCAL_MAX_CONCURRENT_STARTS);
    // Lambda's REPORT lines: one per invocation, Init Duration on each environment's first only.
    const reports = await eventually(async () => {
      const lines = (await functionLog(logs, "cold-crowd")).filter((line) => line.startsWith("REPORT"));
      return lines.length >= calls && lines;
    }, "a REPORT line per invocation");
    expect(reports).toHaveLength(calls);
    expect(reports.filter((line) => line.includes("Init Duration:"))).toHaveLength(environments.size);
  });

  it("reports INIT failures and oversized responses as Lambda does, and retries INIT on the next invocation", async () => {
    const cloud = await useTestCloud();
    const { lambda } = clients(cloud);
    await createFunction(lambda, "no-module", { "index.js": "exports.handler = async () => 1;" }, { Handler: "missing.handler" });
    expect((await invoke(lambda, "no-module")).payload).toMatchObject({ errorType: "Runtime.ImportModuleError" });
    await createFunction(lambda, "no-export", { "index.js": "exports.handler = async () => 1;" }, { Handler: "index.nope" });
    expect((await invoke(lambda, "no-export")).payload).toMatchObject({
      errorType: "Runtime.HandlerNotFound",
      errorMessage: "index.nope is undefined or not exported",
    });
    // INIT throws on the first attempt only (the marker file survives the reset sandbox).
    const flaky = `
      const fs = require("node:fs");
      const marker = require("node:path").join(require("node:os").tmpdir(), "wsq-init-" + process.env.MARKER);
      if (!fs.existsSync(marker)) { fs.writeFileSync(marker, "x"); throw new RangeError("first init fails"); }
      exports.handler = async () => "initialised";`;
    const marker = `${process.pid}-${Date.now()}`;
    onTestFinished(() => rmSync(join(tmpdir(), `wsq-init-${marker}`), { force: true }));
    await createFunction(lambda, "flaky-init", { "index.js": flaky }, { Environment: { Variables: { MARKER: marker } } });
    const failed = await invoke(lambda, "flaky-init");
    expect(failed.functionError).toBe("Unhandled");
    expect(failed.payload).toMatchObject({ errorType: "RangeError", errorMessage: "first init fails" });
    expect((await invoke(lambda, "flaky-init")).payload as unknown).toBe("initialised");

    await createFunction(lambda, "big", { "index.js": "exports.handler = async () => 'x'.repeat(7 * 1024 * 1024);" });
    expect((await invoke(lambda, "big")).payload).toMatchObject({ errorType: "Function.ResponseSizeTooLarge" });
  });
});
