/**
 * A scripted CloudFormation behind aws-sdk-client-mock, for the AWS-only paths (credentials,
 * rollbacks, throttling) that the local cloud cannot produce. Stacks change state only when the
 * engine executes or deletes, and each change appends the stack events AWS would show.
 */
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  ListStacksCommand,
  type Change,
  type Parameter,
  type StackEvent,
} from "@aws-sdk/client-cloudformation";
import { S3Client, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";

export function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: status } });
}

export interface FakeStack {
  id: string;
  status: string;
  reason?: string;
  outputs: Record<string, string>;
  parameters: Parameter[];
  events: StackEvent[];
  lastUpdated?: Date;
  deletedAt?: Date;
  /** The template of the last executed change set. */
  templateBody?: string;
}

/** What executing a change set does: the resource events and the final status. */
export interface ExecutionScript {
  resources: { logicalId: string; type: string; status: string; reason?: string }[];
  finalStatus: string;
}

export const PATTERN_OUTPUTS = {
  WebSocketUrl: "wss://abc.execute-api.eu-west-1.amazonaws.com/production",
  ConnectionsUrl: "https://abc.execute-api.eu-west-1.amazonaws.com/production",
  QueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/wsq-Queue-A1B2C3D4E5F6.fifo",
  DeadLetterQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/wsq-DeadLetterQueue-F6E5D4C3B2A1.fifo",
  FunctionName: "wsq-handler",
};

export function fakeCloud() {
  const cfn = mockClient(CloudFormationClient);
  const s3 = mockClient(S3Client);
  const stacks = new Map<string, FakeStack>();
  // Deleted stacks stay listed (and found by id) after a new stack took their name, as on AWS.
  const deletedStacks: { name: string; stack: FakeStack }[] = [];
  const changeSets = new Map<
    string,
    { stackName: string; type: string; parameters: Parameter[]; templateBody?: string; status: string; reason?: string; changes: Change[] }
  >();
  let eventCounter = 0;
  let stackCounter = 0;
  const script: {
    changes: Change[];
    emptyUpdate: boolean;
    execution: ExecutionScript;
    /** Scripts for the next executions, in order, before `execution` applies again. */
    nextExecutions: ExecutionScript[];
    deletion: ExecutionScript;
  } = {
    nextExecutions: [],
    changes: [
      { Type: "Resource", ResourceChange: { Action: "Add", LogicalResourceId: "Queue", ResourceType: "AWS::SQS::Queue" } },
      { Type: "Resource", ResourceChange: { Action: "Add", LogicalResourceId: "Function", ResourceType: "AWS::Lambda::Function" } },
    ],
    emptyUpdate: false,
    execution: {
      resources: [
        { logicalId: "Queue", type: "AWS::SQS::Queue", status: "CREATE_COMPLETE" },
        { logicalId: "Function", type: "AWS::Lambda::Function", status: "CREATE_COMPLETE" },
      ],
      finalStatus: "CREATE_COMPLETE",
    },
    deletion: { resources: [{ logicalId: "Queue", type: "AWS::SQS::Queue", status: "DELETE_COMPLETE" }], finalStatus: "DELETE_COMPLETE" },
  };

  const event = (stack: FakeStack, stackName: string, logicalId: string, type: string, status: string, reason?: string): void => {
    eventCounter += 1;
    stack.events.unshift({
      EventId: `e${eventCounter}`,
      StackId: stack.id,
      StackName: stackName,
      LogicalResourceId: logicalId,
      ResourceType: type,
      ResourceStatus: status as never,
      ResourceStatusReason: reason,
      Timestamp: new Date(1_700_000_000_000 + eventCounter),
    });
  };
  const find = (nameOrId: string): [string, FakeStack] | undefined =>
    [...stacks.entries()].find(([name, s]) => name === nameOrId || s.id === nameOrId) ??
    deletedStacks.map(({ name, stack }): [string, FakeStack] => [name, stack]).find(([, s]) => s.id === nameOrId);
  const notFound = (name: string) => awsError("ValidationError", `Stack with id ${name} does not exist`);

  function addStack(name: string, status: string, outputs: Record<string, string> = {}, parameters: Parameter[] = []): FakeStack {
    const stack: FakeStack = { id: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${name}/${++stackCounter}`, status, outputs, parameters, events: [] };
    stacks.set(name, stack);
    event(stack, name, name, "AWS::CloudFormation::Stack", status);
    return stack;
  }

  const describe = (name: string, s: FakeStack) => ({
    StackName: name,
    StackId: s.id,
    StackStatus: s.status,
    StackStatusReason: s.reason,
    CreationTime: new Date(1_700_000_000_000),
    LastUpdatedTime: s.lastUpdated,
    Outputs: Object.entries(s.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    Parameters: s.parameters,
  });
  cfn.on(DescribeStacksCommand).callsFake(async (input: { StackName?: string }) => {
    // Without a name: every stack that is not deleted, as CloudFormation lists them.
    if (input.StackName === undefined)
      return { Stacks: [...stacks.entries()].filter(([, s]) => s.status !== "DELETE_COMPLETE").map(([name, s]) => describe(name, s)) };
    const found = find(input.StackName);
    if (!found || (found[1].status === "DELETE_COMPLETE" && input.StackName === found[0])) throw notFound(input.StackName);
    const [name, s] = found;
    return { Stacks: [describe(name, s)] };
  });
  cfn.on(GetTemplateCommand).callsFake(async (input: { StackName: string }) => {
    const found = find(input.StackName);
    if (!found) throw notFound(input.StackName);
    return { TemplateBody: found[1].templateBody };
  });
  cfn.on(DescribeStackEventsCommand).callsFake(async (input: { StackName: string }) => {
    const found = find(input.StackName);
    if (!found) throw notFound(input.StackName);
    return { StackEvents: found[1].events };
  });
  cfn.on(ListStacksCommand).callsFake(async (input: { StackStatusFilter?: string[] }) => ({
    StackSummaries: [...[...stacks.entries()].map(([name, stack]) => ({ name, stack })), ...deletedStacks]
      .filter(({ stack }) => !input.StackStatusFilter || input.StackStatusFilter.includes(stack.status))
      .map(({ name, stack }) => ({
        StackName: name,
        StackId: stack.id,
        StackStatus: stack.status,
        CreationTime: new Date(1_700_000_000_000),
        DeletionTime: stack.deletedAt,
      })),
  }));
  cfn.on(ListStackResourcesCommand).callsFake(async () => ({ StackResourceSummaries: [{ LogicalResourceId: "Queue" }, { LogicalResourceId: "Function" }] }));
  cfn
    .on(CreateChangeSetCommand)
    .callsFake(async (input: { StackName: string; ChangeSetName: string; ChangeSetType: string; Parameters: Parameter[]; TemplateBody?: string }) => {
      let stack = stacks.get(input.StackName);
      if (input.ChangeSetType === "CREATE" && (!stack || stack.status !== "REVIEW_IN_PROGRESS")) {
        if (stack?.status === "DELETE_COMPLETE") {
          deletedStacks.push({ name: input.StackName, stack });
        }
        stack = addStack(input.StackName, "REVIEW_IN_PROGRESS");
      }
      if (!stack) throw notFound(input.StackName);
      const id = `arn:aws:cloudformation:eu-west-1:123456789012:changeSet/${input.ChangeSetName}/1`;
      const empty = input.ChangeSetType === "UPDATE" && script.emptyUpdate;
      changeSets.set(id, {
        stackName: input.StackName,
        type: input.ChangeSetType,
        parameters: input.Parameters,
        ...(input.TemplateBody !== undefined ? { templateBody: input.TemplateBody } : {}),
        status: empty ? "FAILED" : "CREATE_COMPLETE",
        ...(empty ? { reason: "The submitted information didn't contain changes. Submit different information to create a change set." } : {}),
        changes: empty ? [] : script.changes,
      });
      return { Id: id, StackId: stack.id };
    });
  cfn.on(DescribeChangeSetCommand).callsFake(async (input: { ChangeSetName: string }) => {
    const cs = changeSets.get(input.ChangeSetName);
    if (!cs) throw awsError("ChangeSetNotFoundException", "ChangeSet not found");
    return { Status: cs.status, StatusReason: cs.reason, Changes: cs.changes, ExecutionStatus: "AVAILABLE" };
  });
  cfn.on(DeleteChangeSetCommand).callsFake(async (input: { ChangeSetName: string }) => {
    changeSets.delete(input.ChangeSetName);
    return {};
  });
  cfn.on(ExecuteChangeSetCommand).callsFake(async (input: { ChangeSetName: string }) => {
    const cs = changeSets.get(input.ChangeSetName)!;
    const stack = stacks.get(cs.stackName)!;
    stack.parameters = cs.parameters.map((p) => (p.UsePreviousValue ? stack.parameters.find((q) => q.ParameterKey === p.ParameterKey)! : p));
    const starting = cs.type === "CREATE" ? "CREATE_IN_PROGRESS" : "UPDATE_IN_PROGRESS";
    event(stack, cs.stackName, cs.stackName, "AWS::CloudFormation::Stack", starting);
    const execution = script.nextExecutions.shift() ?? script.execution;
    for (const r of execution.resources) event(stack, cs.stackName, r.logicalId, r.type, r.status, r.reason);
    stack.status = execution.finalStatus;
    if (!stack.status.includes("ROLLBACK") && cs.templateBody !== undefined) stack.templateBody = cs.templateBody;
    stack.lastUpdated = new Date(1_700_000_100_000 + eventCounter);
    event(stack, cs.stackName, cs.stackName, "AWS::CloudFormation::Stack", stack.status);
    if (stack.status.endsWith("COMPLETE") && !stack.status.includes("ROLLBACK"))
      stack.outputs = cs.stackName === "wsq-assets" ? { AssetBucketName: "wsq-assets-assetbucket-1" } : { ...PATTERN_OUTPUTS };
    changeSets.delete(input.ChangeSetName);
    return {};
  });
  cfn.on(DeleteStackCommand).callsFake(async (input: { StackName: string }) => {
    const found = find(input.StackName);
    if (!found) return {};
    const [name, stack] = found;
    if (stack.status === "REVIEW_IN_PROGRESS") {
      stacks.delete(name);
      return {};
    }
    event(stack, name, name, "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS");
    for (const r of script.deletion.resources) event(stack, name, r.logicalId, r.type, r.status, r.reason);
    stack.status = script.deletion.finalStatus;
    if (stack.status === "DELETE_COMPLETE") stack.deletedAt = new Date();
    event(stack, name, name, "AWS::CloudFormation::Stack", stack.status);
    return {};
  });
  s3.on(HeadObjectCommand).rejects(awsError("NotFound", "Not Found", 404));
  s3.on(PutObjectCommand).resolves({});

  return { cfn, s3, stacks, changeSets, script, addStack, event };
}
