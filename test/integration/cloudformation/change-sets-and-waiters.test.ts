import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListChangeSetsCommand,
  UpdateStackCommand,
  waitUntilChangeSetCreateComplete,
  waitUntilStackCreateComplete,
  waitUntilStackDeleteComplete,
  waitUntilStackUpdateComplete,
  type CloudFormationClient,
} from "@aws-sdk/client-cloudformation";
import { startTestCloud } from "../../helpers/local-cloud.js";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";
import { clients, fixture, output, settle } from "./helpers.js";

let cloud: LocalCloud;
let cfn: CloudFormationClient;

beforeAll(async () => {
  cloud = await startTestCloud();
  ({ cfn } = clients(cloud));
});
afterAll(async () => {
  await cloud.stop();
});

/** The SDK's smallest waiter delay is 1 s; maxWaitTime bounds each wait. */
const waiter = () => ({ client: cfn, minDelay: 1, maxDelay: 1, maxWaitTime: 30 });

describe("the SDK waiters", () => {
  it("see create, update and delete complete, and a failed create as a failure", async () => {
    await cfn.send(new CreateStackCommand({ StackName: "waited", TemplateBody: fixture("two-queues.yaml") }));
    expect((await waitUntilStackCreateComplete(waiter(), { StackName: "waited" })).state).toBe("SUCCESS");
    await cfn.send(
      new UpdateStackCommand({ StackName: "waited", UsePreviousTemplate: true, Parameters: [{ ParameterKey: "Retention", ParameterValue: "600" }] }),
    );
    expect((await waitUntilStackUpdateComplete(waiter(), { StackName: "waited" })).state).toBe("SUCCESS");
    const stackId = (await cfn.send(new DescribeStacksCommand({ StackName: "waited" }))).Stacks![0]!.StackId!;
    await cfn.send(new DeleteStackCommand({ StackName: "waited" }));
    expect((await waitUntilStackDeleteComplete(waiter(), { StackName: stackId })).state).toBe("SUCCESS");

    await cfn.send(new CreateStackCommand({ StackName: "waited-bad", TemplateBody: fixture("bad-property.yaml") }));
    await expect(waitUntilStackCreateComplete(waiter(), { StackName: "waited-bad" })).rejects.toMatchObject({
      name: "Error",
      message: expect.stringMatching(/FAILURE/) as unknown,
    });
  });
});

describe("change sets", () => {
  it("creates a stack through a CREATE change set: REVIEW_IN_PROGRESS, Add changes, execute", async () => {
    const created = await cfn.send(
      new CreateChangeSetCommand({ StackName: "viacs", ChangeSetName: "first", ChangeSetType: "CREATE", TemplateBody: fixture("two-queues.yaml") }),
    );
    expect(created.Id).toMatch(/^arn:aws:cloudformation:us-east-1:000000000000:changeSet\/first\/[0-9a-f-]{36}$/);
    expect((await cfn.send(new DescribeStacksCommand({ StackName: "viacs" }))).Stacks![0]!.StackStatus).toBe("REVIEW_IN_PROGRESS");
    expect((await waitUntilChangeSetCreateComplete(waiter(), { ChangeSetName: created.Id! })).state).toBe("SUCCESS");
    const described = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: "first", StackName: "viacs" }));
    expect(described).toMatchObject({ Status: "CREATE_COMPLETE", ExecutionStatus: "AVAILABLE", ChangeSetName: "first", StackId: created.StackId });
    expect(described.Changes?.map((change) => [change.Type, change.ResourceChange?.Action, change.ResourceChange?.LogicalResourceId])).toEqual([
      ["Resource", "Add", "DeadLetters"],
      ["Resource", "Add", "Main"],
    ]);
    await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: created.Id! }));
    expect((await settle(cfn, "viacs")).StackStatus).toBe("CREATE_COMPLETE");
    const after = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: created.Id! }));
    expect(after.ExecutionStatus).toBe("EXECUTE_COMPLETE");
  });

  it("describes Modify changes with Replacement, Scope and Details, and FAILED for an empty change set", async () => {
    await cfn.send(new CreateStackCommand({ StackName: "diffs", TemplateBody: fixture("two-queues.yaml") }));
    const before = await settle(cfn, "diffs");

    const inPlace = await cfn.send(
      new CreateChangeSetCommand({
        StackName: "diffs",
        ChangeSetName: "retention",
        UsePreviousTemplate: true,
        Parameters: [{ ParameterKey: "Retention", ParameterValue: "900" }],
      }),
    );
    await waitUntilChangeSetCreateComplete(waiter(), { ChangeSetName: inPlace.Id! });
    const modify = (await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: inPlace.Id! }))).Changes!;
    expect(modify).toHaveLength(1);
    expect(modify[0]!.ResourceChange).toMatchObject({
      Action: "Modify",
      LogicalResourceId: "Main",
      PhysicalResourceId: output(before, "MainUrl"),
      Replacement: "False",
      Scope: ["Properties"],
      Details: [
        {
          Target: { Attribute: "Properties", Name: "MessageRetentionPeriod", RequiresRecreation: "Never" },
          Evaluation: "Static",
          ChangeSource: "ParameterReference",
        },
      ],
    });

    const rename = await cfn.send(
      new CreateChangeSetCommand({
        StackName: "diffs",
        ChangeSetName: "rename",
        UsePreviousTemplate: true,
        Parameters: [{ ParameterKey: "MainName", ParameterValue: "diffs-renamed" }],
      }),
    );
    await waitUntilChangeSetCreateComplete(waiter(), { ChangeSetName: rename.Id! });
    const replace = (await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: rename.Id! }))).Changes!;
    expect(replace[0]!.ResourceChange).toMatchObject({ Action: "Modify", LogicalResourceId: "Main", Replacement: "True" });
    expect(replace[0]!.ResourceChange!.Details).toContainEqual(
      expect.objectContaining({ Target: { Attribute: "Properties", Name: "QueueName", RequiresRecreation: "Always" } }),
    );

    const removal = fixture("two-queues.yaml")
      .replace(/ {2}Main:[\s\S]*?maxReceiveCount: 5\n/, "")
      .replace(/Outputs:[\s\S]*$/, "");
    const remove = await cfn.send(new CreateChangeSetCommand({ StackName: "diffs", ChangeSetName: "remove", TemplateBody: removal }));
    await waitUntilChangeSetCreateComplete(waiter(), { ChangeSetName: remove.Id! });
    const removed = (await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: remove.Id! }))).Changes!;
    expect(removed.map((change) => [change.ResourceChange?.Action, change.ResourceChange?.LogicalResourceId, change.ResourceChange?.PolicyAction])).toEqual([
      ["Remove", "Main", "Delete"],
    ]);

    const empty = await cfn.send(new CreateChangeSetCommand({ StackName: "diffs", ChangeSetName: "nothing", UsePreviousTemplate: true }));
    await expect(waitUntilChangeSetCreateComplete(waiter(), { ChangeSetName: empty.Id! })).rejects.toThrow();
    const failed = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: empty.Id! }));
    expect(failed).toMatchObject({
      Status: "FAILED",
      ExecutionStatus: "UNAVAILABLE",
      StatusReason: "The submitted information didn't contain changes. Submit different information to create a change set.",
    });
    await expect(cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: empty.Id! }))).rejects.toMatchObject({ name: "InvalidChangeSetStatusException" });

    const listed = await cfn.send(new ListChangeSetsCommand({ StackName: "diffs" }));
    expect(listed.Summaries?.map((summary) => summary.ChangeSetName)).toEqual(["retention", "rename", "remove", "nothing"]);
    await cfn.send(new DeleteChangeSetCommand({ ChangeSetName: "nothing", StackName: "diffs" }));
    await expect(cfn.send(new DescribeChangeSetCommand({ ChangeSetName: empty.Id! }))).rejects.toMatchObject({ name: "ChangeSetNotFoundException" });

    await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: inPlace.Id! }));
    expect((await settle(cfn, "diffs")).StackStatus).toBe("UPDATE_COMPLETE");
    const obsolete = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: rename.Id! }));
    expect(obsolete.ExecutionStatus).toBe("OBSOLETE");
  });

  it("refuses an UPDATE change set for a missing stack and a CREATE one for an existing stack", async () => {
    await expect(
      cfn.send(new CreateChangeSetCommand({ StackName: "ghost", ChangeSetName: "x", TemplateBody: fixture("two-queues.yaml") })),
    ).rejects.toMatchObject({
      name: "ValidationError",
      message: "Stack [ghost] does not exist",
    });
    await cfn.send(new CreateStackCommand({ StackName: "exists", TemplateBody: fixture("two-queues.yaml") }));
    await settle(cfn, "exists");
    await expect(
      cfn.send(new CreateChangeSetCommand({ StackName: "exists", ChangeSetName: "again", ChangeSetType: "CREATE", TemplateBody: fixture("two-queues.yaml") })),
    ).rejects.toMatchObject({
      name: "ValidationError",
      message: "Stack [exists] already exists and cannot be created again with the changeSet [again].",
    });
  });
});
