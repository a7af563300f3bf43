import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackResourceCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
  UpdateStackCommand,
  ValidateTemplateCommand,
  type CloudFormationClient,
} from "@aws-sdk/client-cloudformation";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { startTestCloud } from "../../helpers/local-cloud.js";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";
import { allEvents, clients, fixture, output, settle } from "./helpers.js";

let cloud: LocalCloud;
let cfn: CloudFormationClient;
let sqs: SQSClient;

beforeAll(async () => {
  cloud = await startTestCloud();
  ({ cfn, sqs } = clients(cloud));
});
afterAll(async () => {
  await cloud.stop();
});

async function queueExists(url: string): Promise<boolean> {
  try {
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
    return true;
  } catch {
    return false;
  }
}

async function attribute(url: string, name: "VisibilityTimeout" | "MessageRetentionPeriod" | "RedrivePolicy"): Promise<string | undefined> {
  const reply = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [name] }));
  return reply.Attributes?.[name];
}

describe("stack lifecycle through @aws-sdk/client-cloudformation", () => {
  it("creates a stack in dependency order with generated names, outputs, masked NoEcho and resources", async () => {
    const { StackId } = await cfn.send(
      new CreateStackCommand({ StackName: "life", TemplateBody: fixture("queue-and-role.yaml"), Capabilities: ["CAPABILITY_IAM"] }),
    );
    expect(StackId).toMatch(/^arn:aws:cloudformation:us-east-1:000000000000:stack\/life\/[0-9a-f-]{36}$/);
    const stack = await settle(cfn, "life");
    expect(stack.StackStatus).toBe("CREATE_COMPLETE");
    const url = output(stack, "QueueUrl")!;
    expect(url).toMatch(/\/000000000000\/life-Queue-[A-Z0-9]{12}\.fifo$/);
    expect(output(stack, "QueueArn")).toMatch(/^arn:aws:sqs:us-east-1:000000000000:life-Queue-[A-Z0-9]{12}\.fifo$/);
    expect(output(stack, "RoleArn")).toMatch(/^arn:aws:iam::000000000000:role\/life-ReaderRole-[A-Z0-9]{12}$/);
    expect(stack.Outputs?.find((item) => item.OutputKey === "QueueUrl")?.ExportName).toBe("life-QueueUrl");
    expect(stack.Parameters).toContainEqual({ ParameterKey: "Secret", ParameterValue: "****" });
    expect(await queueExists(url)).toBe(true);

    const events = await allEvents(cfn, "life");
    const statuses = events.map((event) => `${event.LogicalResourceId}:${event.ResourceStatus}`);
    expect(statuses[0]).toBe("life:CREATE_IN_PROGRESS");
    expect(events[0]!.ResourceStatusReason).toBe("User Initiated");
    expect(statuses.at(-1)).toBe("life:CREATE_COMPLETE");
    // The policy reads the queue's ARN and the role's name: it starts only after both exist.
    const policyStart = statuses.indexOf("ReaderPolicy:CREATE_IN_PROGRESS");
    expect(policyStart).toBeGreaterThan(statuses.indexOf("Queue:CREATE_COMPLETE"));
    expect(policyStart).toBeGreaterThan(statuses.indexOf("ReaderRole:CREATE_COMPLETE"));
    expect(
      events.find((event) => event.ResourceStatusReason === "Resource creation Initiated" && event.LogicalResourceId === "Queue")?.PhysicalResourceId,
    ).toBe(url);

    const resources = await cfn.send(new ListStackResourcesCommand({ StackName: "life" }));
    expect(resources.StackResourceSummaries?.map((item) => item.LogicalResourceId).sort()).toEqual(["Queue", "ReaderPolicy", "ReaderRole"]);
    const queue = await cfn.send(new DescribeStackResourceCommand({ StackName: "life", LogicalResourceId: "Queue" }));
    expect(queue.StackResourceDetail).toMatchObject({ PhysicalResourceId: url, ResourceType: "AWS::SQS::Queue", ResourceStatus: "CREATE_COMPLETE" });
    const byPhysical = await cfn.send(new DescribeStackResourcesCommand({ PhysicalResourceId: url }));
    expect(byPhysical.StackResources?.[0]?.StackName).toBe("life");
    const template = await cfn.send(new GetTemplateCommand({ StackName: "life" }));
    expect(template.TemplateBody).toBe(fixture("queue-and-role.yaml"));

    await cfn.send(new DeleteStackCommand({ StackName: "life" }));
    await expect(settle(cfn, StackId!)).resolves.toMatchObject({ StackStatus: "DELETE_COMPLETE" });
    expect(await queueExists(url)).toBe(false);
    await expect(cfn.send(new DescribeStacksCommand({ StackName: "life" }))).rejects.toMatchObject({
      name: "ValidationError",
      message: "Stack with id life does not exist",
    });
    const listed = await cfn.send(new ListStacksCommand({ StackStatusFilter: ["DELETE_COMPLETE"] }));
    expect(listed.StackSummaries?.some((summary) => summary.StackId === StackId)).toBe(true);
  });

  it("treats an unchanged update as 'No updates are to be performed.' and keeps queued messages", async () => {
    await cfn.send(new CreateStackCommand({ StackName: "noop", TemplateBody: fixture("two-queues.yaml") }));
    const stack = await settle(cfn, "noop");
    const url = output(stack, "MainUrl")!;
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "kept" }));
    await expect(cfn.send(new UpdateStackCommand({ StackName: "noop", TemplateBody: fixture("two-queues.yaml") }))).rejects.toMatchObject({
      name: "ValidationError",
      message: "No updates are to be performed.",
    });
    await expect(
      cfn.send(new UpdateStackCommand({ StackName: "noop", UsePreviousTemplate: true, Parameters: [{ ParameterKey: "Retention", UsePreviousValue: true }] })),
    ).rejects.toMatchObject({
      message: "No updates are to be performed.",
    });
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));
    expect(received.Messages?.[0]?.Body).toBe("kept");
  });

  it("updates a changed attribute in place, keeping the queue and its messages", async () => {
    await cfn.send(new CreateStackCommand({ StackName: "inplace", TemplateBody: fixture("two-queues.yaml") }));
    const before = await settle(cfn, "inplace");
    const url = output(before, "MainUrl")!;
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "still here" }));
    await cfn.send(
      new UpdateStackCommand({ StackName: "inplace", UsePreviousTemplate: true, Parameters: [{ ParameterKey: "Retention", ParameterValue: "86400" }] }),
    );
    const after = await settle(cfn, "inplace");
    expect(after.StackStatus).toBe("UPDATE_COMPLETE");
    expect(output(after, "MainUrl")).toBe(url);
    expect(await attribute(url, "MessageRetentionPeriod")).toBe("86400");
    const events = (await allEvents(cfn, "inplace")).map((event) => `${event.LogicalResourceId}:${event.ResourceStatus}`);
    expect(events.slice(events.indexOf("inplace:UPDATE_IN_PROGRESS"))).toEqual([
      "inplace:UPDATE_IN_PROGRESS",
      "Main:UPDATE_IN_PROGRESS",
      "Main:UPDATE_COMPLETE",
      "inplace:UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
      "inplace:UPDATE_COMPLETE",
    ]);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }));
    expect(received.Messages?.[0]?.Body).toBe("still here");
  });

  it("replaces a queue whose name changes: new queue first, old one deleted in cleanup", async () => {
    await cfn.send(
      new CreateStackCommand({
        StackName: "replace",
        TemplateBody: fixture("two-queues.yaml"),
        Parameters: [{ ParameterKey: "MainName", ParameterValue: "replace-first" }],
      }),
    );
    const before = await settle(cfn, "replace");
    const oldUrl = output(before, "MainUrl")!;
    expect(oldUrl).toMatch(/\/replace-first$/);
    await cfn.send(
      new UpdateStackCommand({ StackName: "replace", UsePreviousTemplate: true, Parameters: [{ ParameterKey: "MainName", ParameterValue: "replace-second" }] }),
    );
    const after = await settle(cfn, "replace");
    expect(after.StackStatus).toBe("UPDATE_COMPLETE");
    const newUrl = output(after, "MainUrl")!;
    expect(newUrl).toMatch(/\/replace-second$/);
    expect(await queueExists(newUrl)).toBe(true);
    expect(await queueExists(oldUrl)).toBe(false);
    const events = await allEvents(cfn, "replace");
    const replacing = events.find((event) => event.LogicalResourceId === "Main" && event.ResourceStatus === "UPDATE_IN_PROGRESS");
    expect(replacing?.ResourceStatusReason).toBe("Requested update requires the creation of a new physical resource; hence creating one.");
    const statuses = events.map((event) => `${event.LogicalResourceId}:${event.ResourceStatus}:${event.PhysicalResourceId}`);
    expect(statuses.indexOf(`Main:DELETE_COMPLETE:${oldUrl}`)).toBeGreaterThan(
      statuses.indexOf("replace:UPDATE_COMPLETE_CLEANUP_IN_PROGRESS:" + after.StackId),
    );
  });

  it("fails an invalid property with AWS's reason and rolls the create back to ROLLBACK_COMPLETE", async () => {
    await cfn.send(new CreateStackCommand({ StackName: "broken", TemplateBody: fixture("bad-property.yaml") }));
    const stack = await settle(cfn, "broken");
    expect(stack.StackStatus).toBe("ROLLBACK_COMPLETE");
    expect(stack.StackStatusReason).toBe("The following resource(s) failed to create: [Bad]. Rollback requested by user.");
    const events = await allEvents(cfn, "broken");
    const failed = events.find((event) => event.ResourceStatus === "CREATE_FAILED");
    expect(failed).toMatchObject({ LogicalResourceId: "Bad", ResourceStatusReason: "Encountered unsupported property NotAQueueProperty" });
    const good = events.find((event) => event.LogicalResourceId === "Good" && event.ResourceStatus === "CREATE_COMPLETE")!;
    expect(await queueExists(good.PhysicalResourceId!)).toBe(false);
    expect(events.map((event) => event.ResourceStatus).slice(-1)).toEqual(["ROLLBACK_COMPLETE"]);
    await expect(cfn.send(new UpdateStackCommand({ StackName: "broken", TemplateBody: fixture("two-queues.yaml") }))).rejects.toMatchObject({
      name: "ValidationError",
      message: `Stack:${stack.StackId} is in ROLLBACK_COMPLETE state and can not be updated.`,
    });
    await expect(cfn.send(new CreateStackCommand({ StackName: "broken", TemplateBody: fixture("two-queues.yaml") }))).rejects.toMatchObject({
      name: "AlreadyExistsException",
    });
    await cfn.send(new DeleteStackCommand({ StackName: "broken" }));
    await expect(settle(cfn, stack.StackId!)).resolves.toMatchObject({ StackStatus: "DELETE_COMPLETE" });
  });

  it("rolls a failed update back to UPDATE_ROLLBACK_COMPLETE, restoring the previous resources", async () => {
    await cfn.send(new CreateStackCommand({ StackName: "upfail", TemplateBody: fixture("two-queues.yaml") }));
    const before = await settle(cfn, "upfail");
    const url = output(before, "MainUrl")!;
    const broken = fixture("two-queues.yaml")
      .replace("MessageRetentionPeriod: !Ref Retention", "MessageRetentionPeriod: 86400")
      .replace("Outputs:", "  Extra:\n    Type: AWS::SQS::Queue\n    DependsOn: Main\n    Properties:\n      Bogus: true\nOutputs:");
    await cfn.send(new UpdateStackCommand({ StackName: "upfail", TemplateBody: broken }));
    const after = await settle(cfn, "upfail");
    expect(after.StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect(after.StackStatusReason).toMatch(/^The following resource\(s\) failed to create: \[Extra\]/);
    expect(await attribute(url, "MessageRetentionPeriod")).toBe("345600");
    const template = await cfn.send(new GetTemplateCommand({ StackName: "upfail" }));
    expect(template.TemplateBody).toBe(fixture("two-queues.yaml"));
    const resources = await cfn.send(new ListStackResourcesCommand({ StackName: "upfail" }));
    expect(resources.StackResourceSummaries?.map((item) => item.LogicalResourceId).sort()).toEqual(["DeadLetters", "Main"]);
    // A stack in UPDATE_ROLLBACK_COMPLETE can be updated again.
    await cfn.send(
      new UpdateStackCommand({ StackName: "upfail", UsePreviousTemplate: true, Parameters: [{ ParameterKey: "Retention", ParameterValue: "7200" }] }),
    );
    expect((await settle(cfn, "upfail")).StackStatus).toBe("UPDATE_COMPLETE");
    expect(await attribute(url, "MessageRetentionPeriod")).toBe("7200");
  });

  it("keeps DeletionPolicy Retain resources and builds the asset bucket with a generated lowercase name", async () => {
    await cfn.send(new CreateStackCommand({ StackName: "Buckets", TemplateBody: fixture("bucket.yaml") }));
    const stack = await settle(cfn, "Buckets");
    expect(stack.StackStatus).toBe("CREATE_COMPLETE");
    const name = output(stack, "BucketName")!;
    expect(name).toMatch(/^buckets-assetbucket-[a-z0-9]{12}$/);
    expect(output(stack, "BucketArn")).toBe(`arn:aws:s3:::${name}`);
    expect(output(stack, "RegionalDomainName")).toBe(`${name}.s3.us-east-1.amazonaws.com`);
    const kept = output(stack, "KeptName")!;
    await cfn.send(new DeleteStackCommand({ StackName: "Buckets" }));
    await settle(cfn, stack.StackId!);
    expect(await cloud.services.s3.api.bucketExists(name)).toBe(false);
    expect(await cloud.services.s3.api.bucketExists(kept)).toBe(true);
    const events = await allEvents(cfn, stack.StackId!);
    expect(events.find((event) => event.LogicalResourceId === "KeptBucket" && event.ResourceStatus === "DELETE_SKIPPED")).toBeDefined();
  });

  it("rejects bad templates and calls synchronously with AWS's ValidationError messages", async () => {
    const reject = (promise: Promise<unknown>, message: string | RegExp) => expect(promise).rejects.toMatchObject({ name: "ValidationError", message });
    await reject(
      cfn.send(
        new CreateStackCommand({
          StackName: "v1",
          TemplateBody: "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Missing\n",
        }),
      ),
      "Template format error: Unresolved resource dependencies [Missing] in the Resources block of the template",
    );
    await reject(
      cfn.send(new CreateStackCommand({ StackName: "v2", TemplateBody: "Resources:\n  A:\n    Type: AWS::Nope::Thing\n" })),
      "Template format error: Unrecognized resource types: [AWS::Nope::Thing]",
    );
    await reject(
      cfn.send(
        new CreateStackCommand({
          StackName: "v3",
          TemplateBody: "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    DependsOn: B\n  B:\n    Type: AWS::SQS::Queue\n    DependsOn: A\n",
        }),
      ),
      "Circular dependency between resources: [A, B]",
    );
    await reject(
      cfn.send(new CreateStackCommand({ StackName: "v4", TemplateBody: "Parameters:\n  P:\n    Type: String\nResources:\n  A:\n    Type: AWS::SQS::Queue\n" })),
      "Parameters: [P] must have values",
    );
    await reject(
      cfn.send(
        new CreateStackCommand({ StackName: "v5", TemplateBody: fixture("two-queues.yaml"), Parameters: [{ ParameterKey: "Nope", ParameterValue: "x" }] }),
      ),
      "Parameters: [Nope] do not exist in the template",
    );
    await reject(
      cfn.send(
        new CreateStackCommand({
          StackName: "v6",
          TemplateBody: "Resources:\n  A:\n    Type: AWS::SQS::Queue\n  B:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !GetAtt A.Nope\n",
        }),
      ),
      "Template error: resource A does not support attribute type Nope in Fn::GetAtt",
    );
    await reject(cfn.send(new CreateStackCommand({ StackName: "v7" })), "Either Template URL or Template Body must be specified.");
    await reject(
      cfn.send(new CreateStackCommand({ StackName: "bad_name", TemplateBody: fixture("two-queues.yaml") })),
      /Member must satisfy regular expression pattern/,
    );
    await reject(cfn.send(new UpdateStackCommand({ StackName: "nothere", TemplateBody: fixture("two-queues.yaml") })), "Stack with id nothere does not exist");
    await expect(cfn.send(new CreateStackCommand({ StackName: "v8", TemplateBody: fixture("queue-and-role.yaml") }))).rejects.toMatchObject({
      name: "InsufficientCapabilitiesException",
      message: "Requires capabilities : [CAPABILITY_IAM]",
    });
    const validated = await cfn.send(new ValidateTemplateCommand({ TemplateBody: fixture("queue-and-role.yaml") }));
    expect(validated.Capabilities).toEqual(["CAPABILITY_IAM"]);
    expect(validated.Parameters?.find((parameter) => parameter.ParameterKey === "Secret")).toMatchObject({ NoEcho: true, DefaultValue: "hunter2" });
    // Deleting a stack that does not exist succeeds, as on AWS.
    await expect(cfn.send(new DeleteStackCommand({ StackName: "never-was" }))).resolves.toBeDefined();
  });

  it("shares values through exports and refuses to delete an export in use", async () => {
    await cfn.send(new CreateStackCommand({ StackName: "exporter", TemplateBody: fixture("queue-and-role.yaml"), Capabilities: ["CAPABILITY_IAM"] }));
    const exporter = await settle(cfn, "exporter");
    const importer =
      "Resources:\n  Policy:\n    Type: AWS::SQS::QueuePolicy\n    Properties:\n      Queues: [!ImportValue exporter-QueueUrl]\n      PolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: '*', Action: 'sqs:SendMessage', Resource: '*'}]}\n";
    const { StackId: importerId } = await cfn.send(new CreateStackCommand({ StackName: "importer", TemplateBody: importer }));
    expect((await settle(cfn, "importer")).StackStatus).toBe("CREATE_COMPLETE");
    const policy = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: output(exporter, "QueueUrl"), AttributeNames: ["Policy"] }));
    expect(policy.Attributes?.Policy).toContain("sqs:SendMessage");
    // Same export name from another stack.
    await cfn.send(
      new CreateStackCommand({
        StackName: "exporter2",
        TemplateBody: fixture("queue-and-role.yaml").replace("${AWS::StackName}-QueueUrl", "exporter-QueueUrl"),
        Capabilities: ["CAPABILITY_IAM"],
      }),
    );
    const second = await settle(cfn, "exporter2");
    expect(second.StackStatus).toBe("ROLLBACK_COMPLETE");
    expect(second.StackStatusReason).toBe("Export with name exporter-QueueUrl is already exported by stack exporter. Rollback requested by user.");

    await cfn.send(new DeleteStackCommand({ StackName: "exporter" }));
    const refused = await settle(cfn, "exporter");
    expect(refused.StackStatus).toBe("DELETE_FAILED");
    expect(refused.StackStatusReason).toBe("Export exporter-QueueUrl cannot be deleted as it is in use by importer");
    await expect(
      cfn.send(new CreateStackCommand({ StackName: "importer2", TemplateBody: importer.replace("exporter-QueueUrl", "missing-export") })),
    ).rejects.toMatchObject({
      message: "No export named missing-export found.",
    });
    await cfn.send(new DeleteStackCommand({ StackName: "importer" }));
    await settle(cfn, importerId!);
    await cfn.send(new DeleteStackCommand({ StackName: "exporter" }));
    await expect(settle(cfn, exporter.StackId!)).resolves.toMatchObject({ StackStatus: "DELETE_COMPLETE" });
  });
});
