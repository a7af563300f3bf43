/**
 * `aws lambda --endpoint-url` against the local Lambda (botocore's rest-json client, not the JS
 * SDK): create from a zip file, get-function-configuration, invoke (with --log-type Tail), list
 * and get event source mappings, and an error with its code.
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { tempDir, useTestCloud } from "../../helpers/local-cloud.js";
import { ROLE, clients, fifoQueueWithDlq, zipOf } from "./helpers.js";
import { awsCliEnv, hasAwsCli } from "../../helpers/aws-cli.js";

const run = promisify(execFile);

describe.skipIf(!hasAwsCli)("the AWS CLI against the local Lambda", () => {
  it("creates, configures, invokes and maps a function with --endpoint-url", async () => {
    const cloud = await useTestCloud();
    const dir = tempDir();
    const env = awsCliEnv(cloud);
    const aws = async (...args: string[]) => {
      const { stdout } = await run("aws", ["lambda", ...args, "--endpoint-url", cloud.url, "--output", "json"], { env });
      return stdout.trim() === "" ? {} : (JSON.parse(stdout) as Record<string, unknown>);
    };
    const zip = join(dir, "code.zip");
    writeFileSync(zip, zipOf({ "index.js": 'exports.handler = async (event) => { console.log("got", event.x); return { twice: event.x * 2 }; };' }));
    const created = await aws(
      "create-function",
      "--function-name",
      "cli-fn",
      "--runtime",
      "nodejs22.x",
      "--handler",
      "index.handler",
      "--role",
      ROLE,
      "--zip-file",
      `fileb://${zip}`,
      "--timeout",
      "10",
    );
    expect(created).toMatchObject({ FunctionName: "cli-fn", Timeout: 10, State: "Active" });
    expect(await aws("get-function-configuration", "--function-name", "cli-fn")).toMatchObject({ FunctionName: "cli-fn", Handler: "index.handler" });

    const out = join(dir, "out.json");
    // fileb:// reads the payload as bytes in AWS CLI v1 and v2 alike (v2 would base64-decode a literal).
    const payload = join(dir, "payload.json");
    writeFileSync(payload, '{"x":21}');
    const invoked = (await aws("invoke", "--function-name", "cli-fn", "--payload", `fileb://${payload}`, "--log-type", "Tail", out)) as {
      StatusCode: number;
      LogResult: string;
      ExecutedVersion: string;
    };
    expect(invoked.StatusCode).toBe(200);
    expect(invoked.ExecutedVersion).toBe("$LATEST");
    expect(JSON.parse(readFileSync(out, "utf8"))).toEqual({ twice: 42 });
    const tail = Buffer.from(invoked.LogResult, "base64").toString("utf8");
    expect(tail).toMatch(/^START RequestId: /);
    expect(tail).toMatch(/INFO\tgot 21/);
    expect(tail).toMatch(/REPORT RequestId: /);

    const { sqs } = clients(cloud);
    const { queueArn } = await fifoQueueWithDlq(sqs, "cli", { maxReceiveCount: 5, visibilityTimeout: 60 });
    const mapping = (await aws(
      "create-event-source-mapping",
      "--function-name",
      "cli-fn",
      "--event-source-arn",
      queueArn,
      "--batch-size",
      "5",
      "--function-response-types",
      "ReportBatchItemFailures",
      "--scaling-config",
      "MaximumConcurrency=3",
    )) as { UUID: string };
    const listed = (await aws("list-event-source-mappings", "--function-name", "cli-fn")) as { EventSourceMappings: { UUID: string; BatchSize: number }[] };
    expect(listed.EventSourceMappings.map((m) => [m.UUID, m.BatchSize])).toEqual([[mapping.UUID, 5]]);
    expect(await aws("get-event-source-mapping", "--uuid", mapping.UUID)).toMatchObject({
      UUID: mapping.UUID,
      EventSourceArn: queueArn,
      ScalingConfig: { MaximumConcurrency: 3 },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });

    await expect(aws("get-function-configuration", "--function-name", "missing")).rejects.toMatchObject({
      stderr: expect.stringMatching(/ResourceNotFoundException.*Function not found/),
    });
    await expect(aws("create-event-source-mapping", "--function-name", "cli-fn", "--event-source-arn", queueArn, "--batch-size", "11")).rejects.toMatchObject({
      stderr: expect.stringMatching(/InvalidParameterValueException/),
    });
  });
});
