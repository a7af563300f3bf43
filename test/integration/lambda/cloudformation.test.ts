/**
 * The Lambda resources through the local CloudFormation (the providers call the Lambda service as
 * CloudFormation calls Lambda): an inline function, a FIFO queue with a DLQ, an event source
 * mapping with the pattern's settings, a reserved concurrency; then an update of the function's
 * environment and of the mapping's batch size, and the delete.
 */
import { describe, expect, it } from "vitest";
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, UpdateStackCommand } from "@aws-sdk/client-cloudformation";
import { GetEventSourceMappingCommand, GetFunctionCommand, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";
import { settle } from "../cloudformation/helpers.js";
import { clients, receiveAll } from "./helpers.js";

function template(greeting: string, batchSize: number): string {
  return JSON.stringify({
    Resources: {
      Role: {
        Type: "AWS::IAM::Role",
        Properties: {
          AssumeRolePolicyDocument: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
          },
        },
      },
      Results: { Type: "AWS::SQS::Queue", Properties: { QueueName: "cfn-results" } },
      DeadLetters: { Type: "AWS::SQS::Queue", Properties: { QueueName: "cfn-dead.fifo", FifoQueue: true } },
      Requests: {
        Type: "AWS::SQS::Queue",
        Properties: {
          QueueName: "cfn-requests.fifo",
          FifoQueue: true,
          VisibilityTimeout: 30,
          RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": ["DeadLetters", "Arn"] }, maxReceiveCount: 5 },
        },
      },
      Function: {
        Type: "AWS::Lambda::Function",
        Properties: {
          FunctionName: "cfn-handler",
          Runtime: "nodejs22.x",
          Architectures: ["arm64"],
          Handler: "index.handler",
          Role: { "Fn::GetAtt": ["Role", "Arn"] },
          Timeout: 5,
          MemorySize: 256,
          ReservedConcurrentExecutions: 3,
          Environment: { Variables: { GREETING: greeting, RESULTS_URL: { Ref: "Results" } } },
          Code: {
            ZipFile: [
              'const { SQSClient, SendMessageCommand } = require("@aws-sdk/client-sqs");',
              "const sqs = new SQSClient({});",
              "exports.handler = async (event) => {",
              "  for (const r of event.Records) await sqs.send(new SendMessageCommand({ QueueUrl: process.env.RESULTS_URL, MessageBody: process.env.GREETING + ' ' + r.body }));",
              "  return { batchItemFailures: [] };",
              "};",
            ].join("\n"),
          },
        },
      },
      Mapping: {
        Type: "AWS::Lambda::EventSourceMapping",
        Properties: {
          FunctionName: { Ref: "Function" },
          EventSourceArn: { "Fn::GetAtt": ["Requests", "Arn"] },
          BatchSize: batchSize,
          FunctionResponseTypes: ["ReportBatchItemFailures"],
          ScalingConfig: { MaximumConcurrency: 2 },
        },
      },
    },
    Outputs: { MappingId: { Value: { Ref: "Mapping" } }, RequestsUrl: { Value: { Ref: "Requests" } }, ResultsUrl: { Value: { Ref: "Results" } } },
  });
}

describe("Lambda resources through CloudFormation", () => {
  it("creates, updates and deletes a function with its SQS mapping", async () => {
    const cloud = await useTestCloud();
    const cfn = new CloudFormationClient(sdkConfig(cloud));
    const { lambda, sqs } = clients(cloud);
    await cfn.send(new CreateStackCommand({ StackName: "fn", TemplateBody: template("hello", 10), Capabilities: ["CAPABILITY_IAM"] }));
    const created = await settle(cfn, "fn");
    expect(created.StackStatus, created.StackStatusReason).toBe("CREATE_COMPLETE");
    const output = (key: string) => created.Outputs!.find((o) => o.OutputKey === key)!.OutputValue!;

    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: "cfn-handler" }));
    expect(fn.Configuration).toMatchObject({ Runtime: "nodejs22.x", Architectures: ["arm64"], MemorySize: 256, Timeout: 5 });
    expect(fn.Concurrency).toEqual({ ReservedConcurrentExecutions: 3 });
    expect(await lambda.send(new GetEventSourceMappingCommand({ UUID: output("MappingId") }))).toMatchObject({
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
      State: "Enabled",
    });

    await sqs.send(new SendMessageCommand({ QueueUrl: output("RequestsUrl"), MessageBody: "world", MessageGroupId: "g", MessageDeduplicationId: "1" }));
    expect((await receiveAll(sqs, output("ResultsUrl"), 1)).map((m) => m.Body)).toEqual(["hello world"]);

    await cfn.send(new UpdateStackCommand({ StackName: "fn", TemplateBody: template("bonjour", 5), Capabilities: ["CAPABILITY_IAM"] }));
    const updated = await settle(cfn, "fn");
    expect(updated.StackStatus, updated.StackStatusReason).toBe("UPDATE_COMPLETE");
    expect(await lambda.send(new GetEventSourceMappingCommand({ UUID: output("MappingId") }))).toMatchObject({ BatchSize: 5 });
    await sqs.send(new SendMessageCommand({ QueueUrl: output("RequestsUrl"), MessageBody: "monde", MessageGroupId: "g", MessageDeduplicationId: "2" }));
    expect((await receiveAll(sqs, output("ResultsUrl"), 1)).map((m) => m.Body)).toEqual(["bonjour monde"]);

    await cfn.send(new DeleteStackCommand({ StackName: "fn" }));
    await settle(cfn, "fn").catch(() => undefined);
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: "cfn-handler" }))).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    expect((await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings).toEqual([]);
  });
});
