import { afterEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync, strFromU8 } from "fflate";
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, UpdateStackCommand, type Stack } from "@aws-sdk/client-cloudformation";
import { AwsServiceError } from "../../../src/local/aws-error.js";
import { createCloudFormationPlugin } from "../../../src/local/cloudformation/index.js";
import { fakeDependencies, memoryContext, serve, type Call } from "./fake-services.js";
import { settle as settleStack } from "../../integration/cloudformation/helpers.js";

const TEMPLATES = join(import.meta.dirname, "../../../templates");
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function engine() {
  const calls: Call[] = [];
  const context = memoryContext();
  const deps = fakeDependencies(calls);
  const plugin = createCloudFormationPlugin(context, deps);
  const server = await serve(plugin.query);
  cleanups.push(
    () => context.close(),
    () => plugin.close(),
    () => server.close(),
  );
  const cfn = new CloudFormationClient({ endpoint: server.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const settle = (name: string): Promise<Stack> => settleStack(cfn, name, 5);
  return { calls, deps, cfn, settle };
}

const WSQ_PARAMETERS = [
  { ParameterKey: "AssetBucket", ParameterValue: "assets" },
  { ParameterKey: "AssetKey", ParameterValue: "abc.zip" },
];

describe("the wsq template through the engine, against recording fakes of the services", () => {
  it("calls each service's API with the template's resolved values, in dependency order", async () => {
    const { calls, cfn, settle } = await engine();
    const body = readFileSync(join(TEMPLATES, "wsq.yaml"), "utf8");
    await cfn.send(new CreateStackCommand({ StackName: "wsq", TemplateBody: body, Parameters: WSQ_PARAMETERS, Capabilities: ["CAPABILITY_IAM"] }));
    const stack = await settle("wsq");
    expect(stack.StackStatusReason).toBeUndefined();
    expect(stack.StackStatus).toBe("CREATE_COMPLETE");
    const find = (method: string) => calls.find((call) => call.method === method)?.input as Record<string, unknown>;

    const fn = find("createFunction");
    expect(fn).toMatchObject({
      FunctionName: "wsq-handler",
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      Code: { S3Bucket: "assets", S3Key: "abc.zip" },
      Timeout: 15,
      MemorySize: 256,
      Architectures: ["arm64"],
    });
    expect(fn.Role).toMatch(/^arn:aws:iam::000000000000:role\/wsq-FunctionRole-[A-Z0-9]{12}$/);
    const apiId = (calls.find((call) => call.method === "createRoute")!.input as { ApiId: string }).ApiId;
    expect((fn.Environment as { Variables: Record<string, string> }).Variables.WSQ_CONNECTIONS_URL).toBe(
      `http://127.0.0.1:4510/_aws/execute-api/${apiId}/production`,
    );

    // Queue names generated as CloudFormation does: stack-LogicalId-RANDOM, with the .fifo suffix.
    const queues = calls.filter((call) => call.method === "createQueue").map((call) => call.input as { QueueName: string; Attributes: Record<string, string> });
    const queue = queues.find((q) => /^wsq-Queue-[A-Z0-9]{12}\.fifo$/.test(q.QueueName))!;
    const deadLetters = queues.find((q) => /^wsq-DeadLetterQueue-[A-Z0-9]{12}\.fifo$/.test(q.QueueName))!;
    expect(queue.Attributes).toMatchObject({
      FifoQueue: "true",
      VisibilityTimeout: "90",
      SqsManagedSseEnabled: "true",
      DeduplicationScope: "messageGroup",
      FifoThroughputLimit: "perMessageGroupId",
    });
    expect(deadLetters.Attributes.DeduplicationScope).toBeUndefined();
    expect(JSON.parse(queue.Attributes.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: `arn:aws:sqs:us-east-1:000000000000:${deadLetters.QueueName}`,
      maxReceiveCount: "5",
    });
    expect(find("createEventSourceMapping")).toMatchObject({
      FunctionName: "wsq-handler",
      EventSourceArn: `arn:aws:sqs:us-east-1:000000000000:${queue.QueueName}`,
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    expect(find("createIntegration")).toMatchObject({
      ApiId: apiId,
      IntegrationType: "AWS",
      IntegrationUri: `arn:aws:apigateway:us-east-1:sqs:path/000000000000/${queue.QueueName}`,
      PassthroughBehavior: "NEVER",
    });
    const integrationId = calls.indexOf(calls.find((call) => call.method === "createIntegration")!);
    const route = calls.find((call) => call.method === "createRoute")!;
    expect((route.input as { Target: string }).Target).toMatch(/^integrations\/[a-f0-9]{10}$/);
    expect(calls.indexOf(route)).toBeGreaterThan(integrationId);
    const stage = calls.find((call) => call.method === "createStage")!;
    expect(stage.input).toMatchObject({
      ApiId: apiId,
      StageName: "production",
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
    });
    expect(calls.indexOf(stage)).toBeGreaterThan(calls.indexOf(route));
    expect(calls.indexOf(calls.find((call) => call.method === "createFunction")!)).toBeGreaterThan(
      calls.indexOf(calls.find((call) => call.method === "createLogGroup")!),
    );
    expect(stack.Outputs?.find((item) => item.OutputKey === "WebSocketUrl")?.OutputValue).toBe(`ws://127.0.0.1:4510/_aws/execute-api/${apiId}/production`);

    // In place: a new timeout changes the function's configuration and the queue's visibility.
    calls.length = 0;
    await cfn.send(
      new UpdateStackCommand({
        StackName: "wsq",
        UsePreviousTemplate: true,
        Capabilities: ["CAPABILITY_IAM"],
        Parameters: [
          { ParameterKey: "AssetBucket", UsePreviousValue: true },
          { ParameterKey: "AssetKey", UsePreviousValue: true },
          { ParameterKey: "FunctionTimeoutSeconds", ParameterValue: "30" },
        ],
      }),
    );
    expect((await settle("wsq")).StackStatus).toBe("UPDATE_COMPLETE");
    expect(calls.map((call) => call.method).sort()).toEqual(["setQueueAttributes", "updateFunctionConfiguration"]);
    expect(calls.find((call) => call.method === "setQueueAttributes")!.input).toMatchObject({ Attributes: { VisibilityTimeout: "180" } });

    calls.length = 0;
    await cfn.send(new DeleteStackCommand({ StackName: "wsq" }));
    await settle(stack.StackId!);
    const deletions = calls.map((call) => call.method);
    expect(deletions).toEqual(
      expect.arrayContaining([
        "deleteFunction",
        "deleteEventSourceMapping",
        "deleteApi",
        "deleteQueue",
        "deleteLogGroup",
        "deleteStage",
        "deleteRoute",
        "deleteIntegration",
      ]),
    );
    // Reverse order: the mapping goes before the function, the function before its log group.
    expect(deletions.indexOf("deleteEventSourceMapping")).toBeLessThan(deletions.indexOf("deleteFunction"));
    expect(deletions.indexOf("deleteFunction")).toBeLessThan(deletions.indexOf("deleteLogGroup"));
    expect(deletions.indexOf("deleteStage")).toBeLessThan(deletions.indexOf("deleteApi"));
  });

  it("reports a provider error as handler output and restores the previous configuration on update rollback", async () => {
    const { calls, deps, cfn, settle } = await engine();
    const template = `
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: Allow, Principal: { Service: lambda.amazonaws.com }, Action: sts:AssumeRole }] }
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs22.x
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Timeout: !Ref Timeout
      Code: { ZipFile: "exports.handler = async () => 'hi';" }
Parameters:
  Timeout: { Type: Number, Default: 3 }
Outputs:
  Name: { Value: !Ref Fn }
  Arn: { Value: !GetAtt Fn.Arn }
`;
    await cfn.send(new CreateStackCommand({ StackName: "fn", TemplateBody: template, Capabilities: ["CAPABILITY_IAM"] }));
    const created = await settle("fn");
    expect(created.Outputs?.find((item) => item.OutputKey === "Name")?.OutputValue).toMatch(/^fn-Fn-[A-Z0-9]{12}$/);
    const code = (calls.find((call) => call.method === "createFunction")!.input as { Code: { ZipFile: Uint8Array } }).Code.ZipFile;
    expect(strFromU8(unzipSync(code)["index.js"]!)).toBe("exports.handler = async () => 'hi';");

    deps.failNext("updateFunctionConfiguration", new AwsServiceError("InvalidParameterValueException", "Timeout must be at most 900"));
    calls.length = 0;
    await cfn.send(
      new UpdateStackCommand({
        StackName: "fn",
        UsePreviousTemplate: true,
        Capabilities: ["CAPABILITY_IAM"],
        Parameters: [{ ParameterKey: "Timeout", ParameterValue: "20" }],
      }),
    );
    const rolledBack = await settle("fn");
    expect(rolledBack.StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
    const updates = calls.filter((call) => call.method === "updateFunctionConfiguration").map((call) => (call.input as { Timeout: number }).Timeout);
    expect(updates).toEqual([20, 3]);

    deps.failNext("createFunction", new AwsServiceError("ResourceConflictException", "Function already exist: x", { status: 409 }));
    await cfn.send(new CreateStackCommand({ StackName: "fn2", TemplateBody: template, Capabilities: ["CAPABILITY_IAM"] }));
    const failed = await settle("fn2");
    expect(failed.StackStatus).toBe("ROLLBACK_COMPLETE");
    const { DescribeStackEventsCommand } = await import("@aws-sdk/client-cloudformation");
    const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: "fn2" }))).StackEvents!;
    const reason = events.find((event) => event.ResourceStatus === "CREATE_FAILED")!.ResourceStatusReason!;
    expect(reason).toMatch(/^Resource handler returned message: "Function already exist: x" \(RequestToken: [0-9a-f-]{36}, HandlerErrorCode: AlreadyExists\)$/);
  });

  it("rejects a function whose role does not trust Lambda, and an IAM policy for an unknown role", async () => {
    const { cfn, settle } = await engine();
    const template = `
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: { Statement: [{ Effect: Allow, Principal: { Service: apigateway.amazonaws.com }, Action: sts:AssumeRole }] }
  Fn:
    Type: AWS::Lambda::Function
    Properties: { Role: !GetAtt Role.Arn, Runtime: nodejs22.x, Handler: index.handler, Code: { ZipFile: "x" } }
  Policy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: p
      Roles: [nobody]
      PolicyDocument: { Statement: [{ Effect: Allow, Action: "sqs:*", Resource: "*" }] }
`;
    await cfn.send(new CreateStackCommand({ StackName: "trust", TemplateBody: template, Capabilities: ["CAPABILITY_IAM"] }));
    const stack = await settle("trust");
    expect(stack.StackStatus).toBe("ROLLBACK_COMPLETE");
    const { DescribeStackEventsCommand } = await import("@aws-sdk/client-cloudformation");
    const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: "trust" }))).StackEvents!;
    const reasons = Object.fromEntries(
      events.filter((event) => event.ResourceStatus === "CREATE_FAILED").map((event) => [event.LogicalResourceId, event.ResourceStatusReason]),
    );
    expect(reasons.Policy ?? reasons.Fn).toBeDefined();
    if (reasons.Fn !== undefined) expect(reasons.Fn).toContain("The role defined for the function cannot be assumed by Lambda.");
    if (reasons.Policy !== undefined) expect(reasons.Policy).toContain("The role with name nobody cannot be found.");
  });
});
