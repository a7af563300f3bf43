import { CloudFormationClient, CreateStackCommand, waitUntilStackCreateComplete } from "@aws-sdk/client-cloudformation";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WSQ_BIN, killRecorded, type RunResult } from "./local-helpers.js";
import { sdkConfig, tempDir, useTestCloud } from "../helpers/local-cloud.js";
import { wsqInProcess, type CliRun } from "../helpers/wsq-in-process.js";

/** In-process (test/helpers/wsq-in-process.ts) with a private WSQ_HOME. */
function wsq(args: string[], home: string): Promise<CliRun> {
  return wsqInProcess(args, { home });
}

/**
 * The built binary with a private WSQ_HOME and extra environment; bounded in time. For what the
 * AWS SDK reads from the process's own environment (region, credentials), and for the daemon's
 * test hooks, which it reads from the environment it starts in.
 */
function runWsq(args: string[], home: string, timeoutMs = 45_000, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [WSQ_BIN, ...args],
      { env: { ...process.env, WSQ_HOME: home, NO_COLOR: "1", CI: "true", ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
      },
    );
  });
}

// The deploy, destroy and status commands' failure paths: every one a message that names the
// fix, the right exit code, and no stack trace.

/** An environment with no AWS configuration at all, so the SDK's own resolution is what is tested. */
function noAws(home: string): NodeJS.ProcessEnv {
  return {
    AWS_CONFIG_FILE: join(home, "no-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "no-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_REGION: "",
    AWS_DEFAULT_REGION: "",
    AWS_PROFILE: "",
    AWS_ACCESS_KEY_ID: "",
    AWS_SECRET_ACCESS_KEY: "",
    AWS_SESSION_TOKEN: "",
  };
}

function expectUserError(run: { stderr: string }): void {
  expect(run.stderr).toMatch(/^Error: /m);
  expect(run.stderr).toMatch(/^Fix: /m);
  expect(run.stderr).not.toMatch(/Internal error| {4}at /);
}

describe("wsq deploy/destroy/status errors", () => {
  it("rejects a bad parameter, stack name or handler file as usage errors before starting anything", async () => {
    const home = tempDir();
    for (const args of [
      ["--parameter", "Nope=1"],
      ["--parameter", "BatchSize=50"],
      ["--stack-name", "has_underscore"],
      ["--handler", join(home, "missing.ts")],
    ]) {
      const run = await wsq(["deploy", "--yes", ...args], home);
      expect(run.code, args.join(" ")).toBe(2);
      expectUserError(run);
    }
    // No local cloud was started for input that could never deploy.
    expect(existsSync(join(home, "local", "daemon.json"))).toBe(false);
  });

  it("names the fix when the endpoint does not answer", async () => {
    const home = tempDir();
    const run = await wsq(["deploy", "--yes", "--endpoint-url", "http://127.0.0.1:9"], home);
    expect(run.code).toBe(1);
    expectUserError(run);
    expect(run.stderr).toContain("Nothing answers at the endpoint");
  });

  it("asks for a region on AWS when none is configured", async () => {
    const home = tempDir();
    const run = await runWsq(["deploy", "--yes", "--target", "aws"], home, 45_000, noAws(home));
    expect(run.code).toBe(1);
    expectUserError(run);
    expect(run.stderr).toContain("No AWS region is set");
  });

  it("asks for credentials on AWS when none are found", async () => {
    const home = tempDir();
    const run = await runWsq(["status", "--target", "aws", "--region", "eu-west-1"], home, 45_000, noAws(home));
    expect(run.code).toBe(1);
    expectUserError(run);
    expect(run.stderr).toContain("No AWS credentials were found");
  });

  it("status on a stopped local cloud says how to start it", async () => {
    const home = tempDir();
    const run = await wsq(["status"], home);
    expect(run.code).toBe(1);
    expectUserError(run);
    expect(run.stderr).toContain("The local cloud is not running");
  });

  it("on AWS, refuses to apply without a terminal or --yes, after listing the changes", async () => {
    // The aws target pointed at a local cloud: the same code path as AWS, with throwaway credentials.
    const cloud = await useTestCloud();
    const home = tempDir();
    const run = await runWsq(["deploy", "--target", "aws", "--endpoint-url", cloud.url, "--region", "us-east-1", "--stack-name", "noconfirm"], home, 60_000, {
      AWS_ACCESS_KEY_ID: "wsqlocal",
      AWS_SECRET_ACCESS_KEY: "wsqlocalsecret",
    });
    expect(run.code, run.stderr).toBe(2);
    expectUserError(run);
    expect(run.stderr).toContain("Changes to stack noconfirm (create");
    expect(run.stderr).toContain("AWS::SQS::Queue");
    expect(run.stderr).toContain("--yes");
    const status = await wsq(["status", "--stack-name", "noconfirm", "--endpoint-url", cloud.url], home);
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/No stack named "noconfirm"/);
  }, 90_000);

  it("stops a deploy that Lambda refused twice for the role's SQS permissions, naming IAM's eventual consistency (daemon test hook)", async () => {
    const home = tempDir();
    try {
      // The documented test hook: the daemon's next two CreateEventSourceMapping calls fail as on AWS.
      const start = await runWsq(["local", "start", "--port", "0"], home, 60_000, { WSQ_TEST_FAIL_CREATE_EVENT_SOURCE_MAPPING: "2" });
      expect(start.code, start.stderr).toBe(0);
      const run = await wsq(["deploy", "--yes"], home);
      expect(run.code, run.stderr).toBe(1);
      expectUserError(run);
      expect(run.stderr).toContain("Trying the create once more.");
      expect(run.stderr).toContain("The create of stack wsq failed twice");
      expect(run.stderr).toContain("The provided execution role does not have permissions to call ReceiveMessage on SQS");
      expect(run.stderr).toMatch(/^Fix: IAM is eventually consistent/m);

      // The hook is used up: another stack deploys. Purging the assets it shares with the
      // rolled-back stack is refused, naming that stack, and nothing is deleted.
      const second = await wsq(["deploy", "--yes", "--stack-name", "second"], home);
      expect(second.code, second.stderr).toBe(0);
      const purge = await wsq(["destroy", "--yes", "--stack-name", "second", "--purge-assets"], home);
      expect(purge.code).toBe(1);
      expectUserError(purge);
      expect(purge.stderr).toContain("Not purging the asset bucket");
      expect(purge.stderr).toContain("  wsq (ROLLBACK_COMPLETE): handlers/");
      expect(purge.stderr).toContain("`wsq destroy --stack-name wsq`");
      expect((await wsq(["status", "--stack-name", "second"], home)).code).toBe(0);
    } finally {
      await wsq(["local", "stop"], home);
      killRecorded(join(home, "local"));
    }
  }, 300_000);

  it("destroy asks for --yes without a terminal, deletes with it, and treats a missing stack as nothing to do", async () => {
    const cloud = await useTestCloud();
    const home = tempDir();
    const cfn = new CloudFormationClient(sdkConfig(cloud));
    try {
      await cfn.send(new CreateStackCommand({ StackName: "other", TemplateBody: JSON.stringify({ Resources: { Q: { Type: "AWS::SQS::Queue" } } }) }));
      await waitUntilStackCreateComplete({ client: cfn, maxWaitTime: 30, minDelay: 1 }, { StackName: "other" });
    } finally {
      cfn.destroy();
    }
    const refused = await wsq(["destroy", "--stack-name", "other", "--endpoint-url", cloud.url], home);
    expect(refused.code).toBe(2);
    expectUserError(refused);
    expect(refused.stderr).toContain("--yes");

    const destroyed = await wsq(["destroy", "--stack-name", "other", "--endpoint-url", cloud.url, "--yes"], home);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    expect(destroyed.stdout).toContain("Stack other deleted (DELETE_COMPLETE)");
    expect(destroyed.stderr).toMatch(/DELETE_COMPLETE\s+AWS::SQS::Queue\s+Q/);

    const again = await wsq(["destroy", "--stack-name", "other", "--endpoint-url", cloud.url, "--yes"], home);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("No stack named other");
  });
});
