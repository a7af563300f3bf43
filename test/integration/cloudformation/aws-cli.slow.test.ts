import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { useTestCloud } from "../../helpers/local-cloud.js";
import { DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { clients, FIXTURES, settle } from "./helpers.js";
import { awsCliEnv, hasAwsCli } from "../../helpers/aws-cli.js";

const run = promisify(execFile);

describe.skipIf(!hasAwsCli)("the AWS CLI against the local CloudFormation", () => {
  it("creates, deploys (empty change set), describes, updates and deletes a stack with --endpoint-url", { timeout: 60_000 }, async () => {
    const cloud = await useTestCloud();
    const env = awsCliEnv(cloud);
    const aws = async (...args: string[]): Promise<string> => {
      const { stdout } = await run("aws", ["cloudformation", ...args, "--endpoint-url", cloud.url], { env });
      return stdout;
    };
    const template = join(FIXTURES, "two-queues.yaml");
    const { cfn } = clients(cloud);
    // The CLI's stack waiters poll every 30 s; the SDK client polls faster for the same answer.
    await aws("create-stack", "--stack-name", "cli", "--template-body", `file://${template}`);
    expect((await settle(cfn, "cli")).StackStatus).toBe("CREATE_COMPLETE");
    const described = JSON.parse(await aws("describe-stacks", "--stack-name", "cli", "--output", "json")) as {
      Stacks: { StackStatus: string; Outputs: { OutputKey: string }[] }[];
    };
    expect(described.Stacks[0]!.StackStatus).toBe("CREATE_COMPLETE");
    expect(described.Stacks[0]!.Outputs.map((item) => item.OutputKey).sort()).toEqual(["DeadLetterArn", "MainName", "MainUrl"]);

    // `deploy`: GetTemplateSummary, CreateChangeSet, the change-set waiter (5 s polls), and the
    // FAILED empty change set it reports as "No changes to deploy".
    const again = await aws("deploy", "--stack-name", "cli", "--template-file", template, "--no-fail-on-empty-changeset");
    expect(again).toMatch(/No changes to deploy/);
    await aws("update-stack", "--stack-name", "cli", "--use-previous-template", "--parameters", "ParameterKey=Retention,ParameterValue=1200");
    expect((await settle(cfn, "cli")).StackStatus).toBe("UPDATE_COMPLETE");
    const events = JSON.parse(await aws("describe-stack-events", "--stack-name", "cli", "--output", "json")) as {
      StackEvents: { ResourceStatus: string; LogicalResourceId: string }[];
    };
    expect(events.StackEvents[0]).toMatchObject({ LogicalResourceId: "cli", ResourceStatus: "UPDATE_COMPLETE" });
    const resources = JSON.parse(await aws("list-stack-resources", "--stack-name", "cli", "--output", "json")) as { StackResourceSummaries: unknown[] };
    expect(resources.StackResourceSummaries).toHaveLength(2);

    await expect(
      aws("update-stack", "--stack-name", "cli", "--use-previous-template", "--parameters", "ParameterKey=Retention,UsePreviousValue=true"),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining("No updates are to be performed.") as unknown,
    });
    const stackId = (await cfn.send(new DescribeStacksCommand({ StackName: "cli" }))).Stacks![0]!.StackId!;
    await aws("delete-stack", "--stack-name", "cli");
    expect((await settle(cfn, stackId)).StackStatus).toBe("DELETE_COMPLETE");
    await expect(aws("describe-stacks", "--stack-name", "cli")).rejects.toMatchObject({
      stderr: expect.stringContaining("Stack with id cli does not exist") as unknown,
    });
  });
});
