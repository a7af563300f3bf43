/**
 * Proactive initialization: Lambda may initialize an on-demand function's environment before an
 * invocation needs it, and the local cloud does so when an SQS event source mapping starts polling
 * the function, and again when the function's code changes (docs/lambda.md). Observed from inside
 * the environments: each writes a file when its INIT runs.
 */
import { UpdateFunctionCodeCommand } from "@aws-sdk/client-lambda";
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { LOCAL_EAGER_ENVIRONMENTS } from "../../../src/local/lambda/limits.js";
import { tempDir, useTestCloud } from "../../helpers/local-cloud.js";
import { clients, createFunction, mapQueue, zipOf } from "./helpers.js";

/** A handler whose INIT leaves `init-<pid>` in MARK_DIR, and whose invocations leave `invoke-<pid>-<body>`. */
function markingHandler(version: string): Record<string, string> {
  return {
    "index.js": `
      const { writeFileSync } = require("node:fs");
      const { join } = require("node:path");
      writeFileSync(join(process.env.MARK_DIR, "init-${version}-" + process.pid), String(Date.now()));
      exports.handler = async (event) => {
        for (const record of event.Records) writeFileSync(join(process.env.MARK_DIR, "invoke-" + process.pid + "-" + record.body), String(Date.now()));
        return {};
      };`,
  };
}

const marks = (dir: string, prefix: string) => readdirSync(dir).filter((name) => name.startsWith(prefix));

describe("environments initialized before the first message", () => {
  it("a mapping that starts polling initializes the function's environments; the first messages run in them", async () => {
    const cloud = await useTestCloud();
    const { lambda, sqs } = clients(cloud);
    const markDir = tempDir("wsq-prewarm-");
    await createFunction(lambda, "early", markingHandler("v1"), { Environment: { Variables: { MARK_DIR: markDir } } });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "early.fifo", Attributes: { FifoQueue: "true", VisibilityTimeout: "30" } }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    // Creating the function initialized nothing: no mapping polls for it yet.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(marks(markDir, "init-")).toEqual([]);

    await mapQueue(lambda, "early", arn, { batchSize: 1, maximumConcurrency: 5 });
    const expected = Math.min(5, LOCAL_EAGER_ENVIRONMENTS);
    await vi.waitFor(() => expect(marks(markDir, "init-v1-")).toHaveLength(expected), { timeout: 15_000, interval: 50 });
    const initialized = marks(markDir, "init-v1-").map((name) => name.split("-")[2]);

    for (const body of ["a", "b"]) {
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: body, MessageDeduplicationId: body }));
    }
    await vi.waitFor(() => expect(marks(markDir, "invoke-")).toHaveLength(2), { timeout: 15_000, interval: 50 });
    // Both ran in environments that were already initialized: no INIT of their own.
    expect(marks(markDir, "init-")).toHaveLength(expected);
    for (const name of marks(markDir, "invoke-")) expect(initialized).toContain(name.split("-")[1]);
    // INIT ran before anything was sent: the gap between INIT and the first invocation that AWS documents.
    const firstInvoke = Math.min(...marks(markDir, "invoke-").map((name) => Number(readFileSync(join(markDir, name), "utf8"))));
    for (const name of marks(markDir, "init-")) expect(Number(readFileSync(join(markDir, name), "utf8"))).toBeLessThan(firstInvoke);

    // New code retires the warm environments, and the polled function gets new ones at once.
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: "early", ZipFile: zipOf(markingHandler("v2")) }));
    await vi.waitFor(() => expect(marks(markDir, "init-v2-")).toHaveLength(expected), { timeout: 15_000, interval: 50 });
  });
});
