/**
 * `wsq logs` against a real local cloud: the function's START/END/REPORT and console lines,
 * --json, --filter, --follow until Ctrl-C, and the errors for a missing stack and a bad --since.
 * In-process (test/helpers/wsq-in-process.ts), but for --follow: the built binary (`npm run build`
 * first) stopped by a real SIGINT.
 */
import { describe, expect, it } from "vitest";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { CloudFormationClient, CreateStackCommand } from "@aws-sdk/client-cloudformation";
import { sdkConfig, tempDir, useTestCloud } from "../helpers/local-cloud.js";
import { settle } from "../integration/cloudformation/helpers.js";
import { clients, createFunction } from "../integration/lambda/helpers.js";
import { wsqInProcess, type CliRun } from "../helpers/wsq-in-process.js";
import { spawnWsq, waitForExit, waitForOutput } from "./local-helpers.js";

const runWsq = (args: string[], home: string): Promise<CliRun> => wsqInProcess(args, { home });

const HANDLER = `exports.handler = async (event) => { console.log("hello", event.name); if (event.fail) console.error("something broke"); return "ok"; };`;

describe("wsq logs", () => {
  it("prints a function's log lines, as text and as JSON, filtered on request", async () => {
    const cloud = await useTestCloud();
    const { lambda } = clients(cloud);
    // A custom log group (LoggingConfig.LogGroup) is where the lines go, and where wsq logs looks.
    await createFunction(lambda, "greeter", { "index.js": HANDLER }, { LoggingConfig: { LogFormat: "Text", LogGroup: "/custom/greeter" } });
    await lambda.send(new InvokeCommand({ FunctionName: "greeter", Payload: JSON.stringify({ name: "ada" }) }));
    await lambda.send(new InvokeCommand({ FunctionName: "greeter", Payload: JSON.stringify({ name: "bob", fail: true }) }));
    const home = tempDir();

    const text = await runWsq(["logs", "--endpoint-url", cloud.url, "--function", "greeter"], home);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
    expect(text.stdout).toMatch(/INFO\thello ada/);
    expect(text.stdout).toMatch(/ERROR\tsomething broke/);
    expect(text.stdout).toMatch(/REPORT RequestId: .*Duration: .*Max Memory Used/);

    const json = await runWsq(["logs", "--endpoint-url", cloud.url, "--function", "greeter", "--json", "--filter", "hello"], home);
    expect(json.code, json.stderr).toBe(0);
    const lines = json.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { timestamp: string; stream: string; message: string });
    expect(lines.map((line) => line.message.split("\t").slice(2).join("\t"))).toEqual(["INFO\thello ada", "INFO\thello bob"]);
    expect(lines[0]!.stream).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(Number.isNaN(Date.parse(lines[0]!.timestamp))).toBe(false);
  });

  it("finds the function through the stack's FunctionName output (--stack-name)", async () => {
    const cloud = await useTestCloud();
    const { lambda } = clients(cloud);
    const cfn = new CloudFormationClient(sdkConfig(cloud));
    // The five outputs wsq's template has; only FunctionName matters to `wsq logs`.
    const template = {
      Resources: {
        Role: {
          Type: "AWS::IAM::Role",
          Properties: {
            AssumeRolePolicyDocument: { Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }] },
          },
        },
        Function: {
          Type: "AWS::Lambda::Function",
          Properties: { Runtime: "nodejs22.x", Handler: "index.handler", Role: { "Fn::GetAtt": ["Role", "Arn"] }, Code: { ZipFile: HANDLER } },
        },
      },
      Outputs: {
        FunctionName: { Value: { Ref: "Function" } },
        WebSocketUrl: { Value: "ws://unused" },
        ConnectionsUrl: { Value: "http://unused" },
        QueueUrl: { Value: "http://unused" },
        DeadLetterQueueUrl: { Value: "http://unused" },
      },
    };
    await cfn.send(new CreateStackCommand({ StackName: "logged", TemplateBody: JSON.stringify(template), Capabilities: ["CAPABILITY_IAM"] }));
    const stack = await settle(cfn, "logged");
    expect(stack.StackStatus, stack.StackStatusReason).toBe("CREATE_COMPLETE");
    const functionName = stack.Outputs!.find((o) => o.OutputKey === "FunctionName")!.OutputValue!;
    await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify({ name: "stacked" }) }));
    const run = await runWsq(["logs", "--endpoint-url", cloud.url, "--stack-name", "logged"], tempDir());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/INFO\thello stacked/);
  });

  it("follows new lines until interrupted", async () => {
    const cloud = await useTestCloud();
    const { lambda } = clients(cloud);
    await createFunction(lambda, "follower", { "index.js": HANDLER });
    const child = spawnWsq(["logs", "--endpoint-url", cloud.url, "--function", "follower", "--follow"], tempDir());
    try {
      await waitForOutput(child.stderr!, (text) => text.includes("No logs yet for follower"));
      await lambda.send(new InvokeCommand({ FunctionName: "follower", Payload: JSON.stringify({ name: "first" }) }));
      await waitForOutput(child.stdout!, (text) => text.includes("hello first") && text.includes("REPORT RequestId"));
      await lambda.send(new InvokeCommand({ FunctionName: "follower", Payload: JSON.stringify({ name: "second" }) }));
      const more = await waitForOutput(child.stdout!, (text) => text.includes("hello second"));
      expect(more).not.toContain("hello first");
      child.kill("SIGINT");
      expect((await waitForExit(child)).code).toBe(130);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("explains a missing stack and a bad --since", async () => {
    const cloud = await useTestCloud();
    const home = tempDir();
    const missing = await runWsq(["logs", "--endpoint-url", cloud.url, "--stack-name", "nothing-here"], home);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nothing-here/);
    expect(missing.stderr).toMatch(/^Fix: /m);
    const noFunction = await runWsq(["logs", "--endpoint-url", cloud.url, "--function", "nobody"], home);
    expect(noFunction.code).toBe(1);
    expect(noFunction.stderr).toMatch(/no function named nobody/);
    const since = await runWsq(["logs", "--endpoint-url", cloud.url, "--function", "x", "--since", "yesterday"], home);
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/30s, 10m, 2h or 1d/);
  });
});
