import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { deployPattern, type DeployOptions } from "../../../src/deploy/deploy.js";
import { bundleUserHandler, type HandlerAsset } from "../../../src/deploy/handler-bundle.js";
import { destroyPattern } from "../../../src/deploy/destroy.js";
import { deployStack } from "../../../src/deploy/stack-operations.js";
import type { DeployEvent } from "../../../src/deploy/events.js";
import { readSavedStack } from "../../../src/deploy/stack-outputs.js";
import { translateAwsError } from "../../../src/shared/aws-errors.js";
import { WsqError } from "../../../src/shared/errors.js";
import type { Target } from "../../../src/shared/target.js";
import { tempDir } from "../../helpers/local-cloud.js";
import { PATTERN_OUTPUTS, awsError, fakeCloud } from "./fake-cloudformation.js";

const target: Target = {
  kind: "aws",
  region: "eu-west-1",
  endpoint: undefined,
  profile: undefined,
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
  dataDir: undefined,
};
let asset: HandlerAsset;

beforeAll(async () => {
  const handlerFile = join(tempDir("wsq-deploy-test-"), "handler.ts");
  writeFileSync(handlerFile, "export function process(message: { data?: unknown }) { return message.data; }\n");
  asset = await bundleUserHandler(handlerFile);
});

let fake: ReturnType<typeof fakeCloud>;
afterEach(() => {
  fake.cfn.restore();
  fake.s3.restore();
});

function options(overrides: Partial<DeployOptions> = {}): DeployOptions & { events: DeployEvent[] } {
  const events: DeployEvent[] = [];
  return {
    events,
    target,
    stackName: "wsq",
    parameters: [],
    asset,
    emit: (event) => events.push(event),
    confirm: async () => true,
    pollMs: 1,
    env: { WSQ_HOME: tempDir("wsq-home-") },
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<WsqError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WsqError);
  return error as WsqError;
}

describe("deployPattern against AWS (mocked SDK)", () => {
  it("creates the asset stack, uploads the zip under its hash, lists the changes, executes and saves the outputs", async () => {
    fake = fakeCloud();
    const o = options();
    const result = await deployPattern(o);
    expect(result).toMatchObject({ stackName: "wsq", operation: "create", status: "CREATE_COMPLETE", noChanges: false, outputs: PATTERN_OUTPUTS });
    expect(result.handler.bucket).toBe("wsq-assets-assetbucket-1");
    expect(result.handler.key).toMatch(/^handlers\/[0-9a-f]{64}\.zip$/);
    const put = fake.s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: "wsq-assets-assetbucket-1", Key: result.handler.key, ContentType: "application/zip" });

    const creates = fake.cfn.commandCalls(CreateChangeSetCommand).map((c) => c.args[0].input);
    expect(creates.map((c) => [c.StackName, c.ChangeSetType])).toEqual([
      ["wsq-assets", "CREATE"],
      ["wsq", "CREATE"],
    ]);
    expect(creates[1]!.Capabilities).toEqual(["CAPABILITY_IAM"]);
    expect(creates[1]!.Parameters).toEqual([
      { ParameterKey: "AssetBucket", ParameterValue: "wsq-assets-assetbucket-1" },
      { ParameterKey: "AssetKey", ParameterValue: result.handler.key },
    ]);

    const types = o.events.filter((e) => !("stackName" in e) || e.stackName === "wsq").map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["changes", "operation-start", "resource", "operation-end"]));
    expect(types.indexOf("changes")).toBeLessThan(types.indexOf("operation-start"));
    const end = o.events.find((e) => e.type === "operation-end" && e.stackName === "wsq");
    expect(end).toMatchObject({ status: "CREATE_COMPLETE", progress: { done: 2, total: 2, inProgress: [], failures: [] } });
    expect(readSavedStack(target, "wsq", o.env)?.outputs).toEqual(PATTERN_OUTPUTS);
  });

  it("skips the upload when the hash is already in the bucket, and reports an empty change set as no changes", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    fake.addStack("wsq", "UPDATE_COMPLETE", { ...PATTERN_OUTPUTS }, [{ ParameterKey: "BatchSize", ParameterValue: "5" }]);
    fake.s3.on(HeadObjectCommand).resolves({});
    fake.script.emptyUpdate = true;
    const o = options();
    const result = await deployPattern(o);
    expect(result).toMatchObject({ noChanges: true, operation: "update", outputs: PATTERN_OUTPUTS });
    expect(result.handler.uploaded).toBe(false);
    expect(fake.s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(fake.cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
    expect(fake.cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1);
    expect(o.events).toContainEqual({ type: "no-changes", stackName: "wsq" });
  });

  it("keeps earlier parameter values on an update unless given again", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    fake.addStack("wsq", "UPDATE_COMPLETE", { ...PATTERN_OUTPUTS }, [
      { ParameterKey: "BatchSize", ParameterValue: "5" },
      { ParameterKey: "MaximumConcurrency", ParameterValue: "7" },
    ]);
    fake.script.execution.finalStatus = "UPDATE_COMPLETE";
    fake.script.execution.resources = [{ logicalId: "EventSourceMapping", type: "AWS::Lambda::EventSourceMapping", status: "UPDATE_COMPLETE" }];
    const result = await deployPattern(options({ parameters: ["MaximumConcurrency=20"] }));
    expect(result.operation).toBe("update");
    const params = fake.cfn.commandCalls(CreateChangeSetCommand)[0]!.args[0].input.Parameters!;
    expect(params).toContainEqual({ ParameterKey: "BatchSize", UsePreviousValue: true });
    expect(params).toContainEqual({ ParameterKey: "MaximumConcurrency", ParameterValue: "20" });
    expect(params.find((p) => p.ParameterKey === "FunctionMemoryMB")).toBeUndefined();
  });

  it("removes the change set (and the empty new stack) when the changes are declined", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    const error = await failure(deployPattern(options({ confirm: async () => false })));
    expect(error.code).toBe("CANCELLED");
    expect(fake.cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(0);
    expect(fake.cfn.commandCalls(DeleteChangeSetCommand)).toHaveLength(1);
    expect(fake.cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.StackName)).toEqual(["wsq"]);
    expect(fake.stacks.has("wsq")).toBe(false);
  });

  it("deletes a stack left in ROLLBACK_COMPLETE and creates it again, after saying why its first create failed", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    const stack = fake.addStack("wsq", "CREATE_IN_PROGRESS");
    fake.event(
      stack,
      "wsq",
      "Function",
      "AWS::Lambda::Function",
      "CREATE_FAILED",
      'Resource handler returned message: "Error occurred while GetObject. S3 Error Code: NoSuchKey"',
    );
    fake.event(stack, "wsq", "Queue", "AWS::SQS::Queue", "CREATE_FAILED", "Resource creation cancelled");
    stack.status = "ROLLBACK_COMPLETE";
    const o = options();
    const result = await deployPattern(o);
    expect(result).toMatchObject({ operation: "create", status: "CREATE_COMPLETE" });
    const note = o.events.find((e): e is Extract<DeployEvent, { type: "note" }> => e.type === "note" && e.message.includes("ROLLBACK_COMPLETE"));
    expect(note?.message).toContain("deleting it to create it again");
    expect(note?.message).toContain("Function (AWS::Lambda::Function) CREATE_FAILED: Resource handler returned message");
    expect(note?.message).not.toContain("cancelled");
    // Deleted by its id, then created afresh through a CREATE change set.
    expect(fake.cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input.StackName)).toEqual([stack.id]);
    expect(
      fake.cfn
        .commandCalls(CreateChangeSetCommand)
        .filter((c) => c.args[0].input.StackName === "wsq")
        .map((c) => c.args[0].input.ChangeSetType),
    ).toEqual(["CREATE"]);
    // The rolled-back queues were deleted long ago (the fake's clock): nothing to wait for.
    expect(o.events.some((e) => e.type === "step" && e.message.startsWith("Waiting"))).toBe(false);
  });

  /** A stack "wsq" deleted 20 s ago, whose queue (named as wsq's earlier template named it) was deleted 25 s ago. */
  function recentlyDeletedStack(): void {
    const old = fake.addStack("wsq", "DELETE_COMPLETE");
    old.deletedAt = new Date(Date.now() - 20_000);
    old.events.unshift({
      EventId: "queue-deleted",
      StackId: old.id,
      StackName: "wsq",
      LogicalResourceId: "Queue",
      ResourceType: "AWS::SQS::Queue",
      ResourceStatus: "DELETE_COMPLETE",
      PhysicalResourceId: "https://sqs.eu-west-1.amazonaws.com/123456789012/wsq-requests.fifo",
      Timestamp: new Date(Date.now() - 25_000),
    });
  }

  it("does not wait for SQS's name reuse after a destroy: the shipped template leaves the queue names to CloudFormation", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    recentlyDeletedStack();
    const o = options();
    const result = await deployPattern(o);
    expect(result).toMatchObject({ operation: "create", status: "CREATE_COMPLETE" });
    expect(o.events.some((e) => e.type === "step" && e.message.startsWith("Waiting"))).toBe(false);
    // Not even looked up: a template that names no queue has nothing to wait for.
    expect(fake.cfn.commandCalls(ListStacksCommand)).toHaveLength(0);
  });

  it("waits, saying why, when the template names its queues and SQS still refuses those names; Ctrl-C stops the wait", async () => {
    fake = fakeCloud();
    recentlyDeletedStack();
    // A template that names its queues as wsq's earlier one did (a user's own, say).
    const named = [
      "Resources:",
      "  Queue:",
      "    Type: AWS::SQS::Queue",
      '    Properties: { FifoQueue: true, QueueName: !Sub "${AWS::StackName}-requests.fifo" }',
    ].join("\n");
    const controller = new AbortController();
    const events: DeployEvent[] = [];
    const request = {
      cfn: new CloudFormationClient({ region: "eu-west-1", credentials: target.credentials! }),
      stackName: "wsq",
      templateBody: named,
      parameters: {},
      templateParameters: [],
      capabilities: [],
      description: "test",
      pollMs: 1,
      confirm: async () => true,
      targetFlag: " --target aws",
    };
    const error = await failure(
      deployStack({
        ...request,
        signal: controller.signal,
        emit: (event) => {
          events.push(event);
          if (event.type === "step" && event.message.startsWith("Waiting")) controller.abort();
        },
      }),
    );
    expect(error.code).toBe("INTERRUPTED");
    const waiting = events.find((e) => e.type === "step" && e.message.startsWith("Waiting"));
    // 60 s after the deletion, 25 s ago, and a second of margin: 36 s.
    expect(waiting).toMatchObject({
      message: expect.stringMatching(/^Waiting 3[5-6] s: the template names its queues, stack wsq's queues of those names were deleted less than a minute ago/),
    });
    expect(fake.cfn.commandCalls(CreateChangeSetCommand)).toHaveLength(0);

    // Other names (CloudFormation's, or another template's): no wait.
    const other = await deployStack({ ...request, templateBody: named.replace("requests", "inbox"), emit: (event) => events.push(event) });
    expect(other.status).toBe("CREATE_COMPLETE");
    expect(events.filter((e) => e.type === "step" && e.message.startsWith("Waiting"))).toHaveLength(1);
  });

  it("reports a failed creation with the resource's reason and how to recover", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    fake.script.execution = {
      resources: [
        { logicalId: "Queue", type: "AWS::SQS::Queue", status: "CREATE_COMPLETE" },
        { logicalId: "Function", type: "AWS::Lambda::Function", status: "CREATE_FAILED", reason: "User is not authorized to perform: iam:PassRole" },
        { logicalId: "Queue", type: "AWS::SQS::Queue", status: "DELETE_COMPLETE" },
      ],
      finalStatus: "ROLLBACK_COMPLETE",
    };
    const o = options();
    const error = await failure(deployPattern(o));
    expect(error.code).toBe("DEPLOY_FAILED");
    expect(error.message).toContain("Function (AWS::Lambda::Function) CREATE_FAILED: User is not authorized to perform: iam:PassRole");
    expect(error.hint).toContain("wsq destroy");
    expect(o.events.find((e) => e.type === "operation-end" && e.stackName === "wsq")).toMatchObject({ status: "ROLLBACK_COMPLETE" });
  });

  it("names continue-update-rollback when an update's rollback fails", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    fake.addStack("wsq", "UPDATE_COMPLETE", { ...PATTERN_OUTPUTS });
    fake.script.execution = {
      resources: [
        { logicalId: "Function", type: "AWS::Lambda::Function", status: "UPDATE_FAILED", reason: "Timeout" },
        { logicalId: "Function", type: "AWS::Lambda::Function", status: "UPDATE_FAILED", reason: "Rollback failed: role deleted" },
      ],
      finalStatus: "UPDATE_ROLLBACK_FAILED",
    };
    const error = await failure(deployPattern(options()));
    expect(error.code).toBe("ROLLBACK_FAILED");
    expect(error.hint).toContain("continue-update-rollback --stack-name wsq");
  });

  it("refuses to touch a stack that is busy", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    fake.addStack("wsq", "UPDATE_IN_PROGRESS");
    expect((await failure(deployPattern(options()))).code).toBe("STACK_BUSY");
  });

  it.each([
    ["ExpiredToken", "The security token included in the request is expired", "CREDENTIALS_EXPIRED", /aws sso login/],
    ["AccessDenied", "User: arn:aws:iam::1:user/x is not authorized to perform: cloudformation:DescribeStacks", "ACCESS_DENIED", /permissions/],
    ["Throttling", "Rate exceeded", "THROTTLED", /again/],
  ])("turns %s into a message that names the fix", async (name, message, code, hint) => {
    fake = fakeCloud();
    fake.cfn.on(DescribeStacksCommand).rejects(awsError(name, message, 403));
    const error = await deployPattern(options()).catch((e: unknown) => e);
    const translated = translateAwsError(error);
    expect(translated?.code).toBe(code);
    expect(translated?.hint).toMatch(hint);
  });

  it("asks for a region when none is configured (real SDK region resolution)", async () => {
    fake = fakeCloud();
    fake.cfn.restore();
    const saved = { ...process.env };
    try {
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
      process.env.AWS_CONFIG_FILE = join(tempDir(), "none");
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(tempDir(), "none");
      const error = await deployPattern(options({ target: { ...target, region: undefined } })).catch((e: unknown) => e);
      expect(translateAwsError(error)?.code).toBe("NO_REGION");
    } finally {
      process.env = saved;
    }
  });

  it("rejects bad input before calling AWS", async () => {
    fake = fakeCloud();
    expect((await failure(deployPattern(options({ stackName: "9lives" })))).code).toBe("BAD_STACK_NAME");
    expect((await failure(deployPattern(options({ parameters: ["FunctionTimeoutSeconds=7"] })))).message).toContain("must be one of 5, 10, 15");
    expect((await failure(deployPattern(options({ parameters: ["AssetKey=x"] })))).code).toBe("BAD_PARAMETER");
    expect(fake.cfn.calls()).toHaveLength(0);
  });
});

describe("deploy's safety nets (mocked SDK)", () => {
  const IAM_REASON =
    'Resource handler returned message: "Invalid request provided: The provided execution role does not have permissions to call ReceiveMessage on SQS (Service: Lambda, Status Code: 400, Request ID: 1f2e)" (RequestToken: 9a8b, HandlerErrorCode: InvalidRequest)';
  const rolledBack = (finalStatus: string) => ({
    resources: [
      { logicalId: "FunctionQueuePolicy", type: "AWS::IAM::Policy", status: finalStatus.startsWith("UPDATE") ? "UPDATE_COMPLETE" : "CREATE_COMPLETE" },
      {
        logicalId: "EventSourceMapping",
        type: "AWS::Lambda::EventSourceMapping",
        status: finalStatus.startsWith("UPDATE") ? "UPDATE_FAILED" : "CREATE_FAILED",
        reason: IAM_REASON,
      },
    ],
    finalStatus,
  });
  const notes = (events: DeployEvent[]) => events.flatMap((e) => (e.type === "note" ? [e.message] : []));

  it("retries a create once when Lambda could not use the role's SQS permissions yet (IAM eventual consistency), saying why", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    fake.script.nextExecutions.push(rolledBack("ROLLBACK_COMPLETE"));
    const o = options();
    const result = await deployPattern(o);
    expect(result).toMatchObject({ operation: "create", status: "CREATE_COMPLETE", outputs: PATTERN_OUTPUTS });
    expect(notes(o.events)).toContainEqual(
      expect.stringMatching(
        /^EventSourceMapping failed: Lambda could not use the function role's SQS permissions yet .*IAM is eventually consistent.* Trying the create once more\.$/,
      ),
    );
    // The rolled-back stack is deleted (it cannot be updated) and created again, without asking twice.
    expect(fake.cfn.commandCalls(DeleteStackCommand)).toHaveLength(1);
    expect(
      fake.cfn
        .commandCalls(CreateChangeSetCommand)
        .filter((c) => c.args[0].input.StackName === "wsq")
        .map((c) => c.args[0].input.ChangeSetType),
    ).toEqual(["CREATE", "CREATE"]);
  });

  it("retries an update that rolled back for the same reason, from the rolled-back stack", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    fake.addStack("wsq", "UPDATE_COMPLETE", { ...PATTERN_OUTPUTS });
    fake.script.nextExecutions.push(rolledBack("UPDATE_ROLLBACK_COMPLETE"));
    fake.script.execution = {
      resources: [{ logicalId: "EventSourceMapping", type: "AWS::Lambda::EventSourceMapping", status: "UPDATE_COMPLETE" }],
      finalStatus: "UPDATE_COMPLETE",
    };
    let asked = 0;
    const o = options({ confirm: async () => (asked += 1) > 0 });
    const result = await deployPattern(o);
    expect(result).toMatchObject({ operation: "update", status: "UPDATE_COMPLETE" });
    expect(notes(o.events).some((n) => n.endsWith("Trying the update once more."))).toBe(true);
    expect(asked).toBe(1);
    expect(fake.cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
    expect(fake.cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(2);
  });

  it("stops after the second failure with an error that names IAM's eventual consistency and the fix", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    fake.script.execution = rolledBack("ROLLBACK_COMPLETE");
    const o = options();
    const error = await failure(deployPattern(o));
    expect(error.code).toBe("IAM_NOT_PROPAGATED");
    expect(error.message).toContain("The create of stack wsq failed twice, and was rolled back (ROLLBACK_COMPLETE)");
    expect(error.message).toContain("EventSourceMapping (AWS::Lambda::EventSourceMapping) CREATE_FAILED: ");
    expect(error.hint).toMatch(/IAM is eventually consistent.*Wait a minute and run `wsq deploy --stack-name wsq --target aws` again/);
    expect(fake.cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(2);
  });

  it("does not retry other failures", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    fake.script.execution = {
      resources: [{ logicalId: "EventSourceMapping", type: "AWS::Lambda::EventSourceMapping", status: "CREATE_FAILED", reason: "Function does not exist" }],
      finalStatus: "ROLLBACK_COMPLETE",
    };
    const error = await failure(deployPattern(options()));
    expect(error.code).toBe("DEPLOY_FAILED");
    expect(fake.cfn.commandCalls(ExecuteChangeSetCommand)).toHaveLength(1);
  });

  it("says so before an update replaces a queue: its messages go with it", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    fake.addStack("wsq", "UPDATE_COMPLETE", { ...PATTERN_OUTPUTS });
    fake.script.changes = [
      { Type: "Resource", ResourceChange: { Action: "Modify", LogicalResourceId: "Queue", ResourceType: "AWS::SQS::Queue", Replacement: "True" } },
      { Type: "Resource", ResourceChange: { Action: "Modify", LogicalResourceId: "DeadLetterQueue", ResourceType: "AWS::SQS::Queue", Replacement: "True" } },
    ];
    fake.script.execution.finalStatus = "UPDATE_COMPLETE";
    const o = options();
    await deployPattern(o);
    expect(notes(o.events)).toContainEqual(
      expect.stringMatching(/^This update replaces Queue and DeadLetterQueue: messages still in the old queues are deleted with them/),
    );
  });

  it("brings an asset stack created by an earlier wsq to the shipped template (the bucket policy that refuses plain HTTP)", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" }).templateBody = "Resources:\n  AssetBucket:\n    Type: AWS::S3::Bucket\n";
    fake.script.nextExecutions.push({ resources: [], finalStatus: "UPDATE_COMPLETE" });
    const o = options();
    await deployPattern(o);
    expect(o.events).toContainEqual({ type: "step", message: "Updating the asset stack wsq-assets to this version's template" });
    const assets = fake.cfn.commandCalls(CreateChangeSetCommand).filter((c) => c.args[0].input.StackName === "wsq-assets");
    expect(assets.map((c) => c.args[0].input.ChangeSetType)).toEqual(["UPDATE"]);
    expect(assets[0]!.args[0].input.TemplateBody).toContain("AWS::S3::BucketPolicy");
    // Once it runs the shipped template, nothing more is sent for it.
    fake.cfn.resetHistory();
    fake.script.execution.finalStatus = "UPDATE_COMPLETE";
    await deployPattern(options());
    expect(fake.cfn.commandCalls(CreateChangeSetCommand).filter((c) => c.args[0].input.StackName === "wsq-assets")).toHaveLength(0);
  });
});

describe("destroyPattern against AWS (mocked SDK)", () => {
  it("deletes the stack, follows it to DELETE_COMPLETE and forgets the saved outputs", async () => {
    fake = fakeCloud();
    const env = { WSQ_HOME: tempDir("wsq-home-") };
    await deployPattern(options({ env }));
    expect(readSavedStack(target, "wsq", env)).toBeDefined();
    const events: DeployEvent[] = [];
    const result = await destroyPattern({
      target,
      stackName: "wsq",
      purgeAssets: false,
      emit: (e) => events.push(e),
      confirm: async () => true,
      pollMs: 1,
      env,
    });
    expect(result).toMatchObject({ existed: true, status: "DELETE_COMPLETE", assetsPurged: false });
    expect(readSavedStack(target, "wsq", env)).toBeUndefined();
    expect(events.find((e) => e.type === "operation-end")).toMatchObject({ operation: "delete", status: "DELETE_COMPLETE" });
  });

  it("reports DELETE_FAILED with the resource that blocked it", async () => {
    fake = fakeCloud();
    fake.addStack("wsq", "CREATE_COMPLETE", { ...PATTERN_OUTPUTS });
    fake.script.deletion = {
      resources: [
        { logicalId: "FunctionRole", type: "AWS::IAM::Role", status: "DELETE_FAILED", reason: "Cannot delete entity, must detach all policies first." },
      ],
      finalStatus: "DELETE_FAILED",
    };
    const error = await failure(
      destroyPattern({ target, stackName: "wsq", purgeAssets: false, emit: () => {}, confirm: async () => true, pollMs: 1, env: { WSQ_HOME: tempDir() } }),
    );
    expect(error.code).toBe("DESTROY_FAILED");
    expect(error.message).toContain("FunctionRole (AWS::IAM::Role) DELETE_FAILED: Cannot delete entity");
  });

  it("refuses --purge-assets while another stack uses a handler in the asset bucket, naming it, before deleting anything", async () => {
    fake = fakeCloud();
    fake.addStack("wsq-assets", "CREATE_COMPLETE", { AssetBucketName: "b1" });
    const handlerKey = { ParameterKey: "AssetKey", ParameterValue: "handlers/abc.zip" };
    fake.addStack("wsq", "CREATE_COMPLETE", { ...PATTERN_OUTPUTS }, [{ ParameterKey: "AssetBucket", ParameterValue: "b1" }, handlerKey]);
    fake.addStack("shop", "UPDATE_COMPLETE", { ...PATTERN_OUTPUTS }, [{ ParameterKey: "AssetBucket", ParameterValue: "b1" }, handlerKey]);
    fake.addStack("elsewhere", "CREATE_COMPLETE", {}, [{ ParameterKey: "AssetBucket", ParameterValue: "another-bucket" }]);
    let asked = false;
    const error = await failure(
      destroyPattern({
        target,
        stackName: "wsq",
        purgeAssets: true,
        emit: () => {},
        confirm: async () => (asked = true),
        pollMs: 1,
        env: { WSQ_HOME: tempDir() },
      }),
    );
    expect(error.code).toBe("ASSETS_IN_USE");
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain("Not purging the asset bucket b1: another stack uses a handler in it");
    expect(error.message).toContain("  shop (UPDATE_COMPLETE): handlers/abc.zip");
    expect(error.message).not.toContain("elsewhere");
    expect(error.hint).toContain("`wsq destroy --stack-name shop --target aws`");
    expect(asked).toBe(false);
    expect(fake.cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  it("deletes nothing when not confirmed, and nothing is an answer when there is no stack", async () => {
    fake = fakeCloud();
    fake.addStack("wsq", "CREATE_COMPLETE", { ...PATTERN_OUTPUTS });
    expect(
      (
        await failure(
          destroyPattern({ target, stackName: "wsq", purgeAssets: false, emit: () => {}, confirm: async () => false, pollMs: 1, env: { WSQ_HOME: tempDir() } }),
        )
      ).code,
    ).toBe("CANCELLED");
    expect(fake.cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
    const result = await destroyPattern({
      target,
      stackName: "other",
      purgeAssets: false,
      emit: () => {},
      confirm: async () => true,
      pollMs: 1,
      env: { WSQ_HOME: tempDir() },
    });
    expect(result.existed).toBe(false);
  });
});

describe("the built-in handler zip", () => {
  it("is built by npm run build", () => {
    // The CLI ships dist/handler/handler.zip; deploy without --handler reads it.
    const zip = join(import.meta.dirname, "..", "..", "..", "dist", "handler", "handler.zip");
    if (!existsSync(zip)) expect.fail("dist/handler/handler.zip is missing: run npm run build");
  });
  void CloudFormationClient;
});
