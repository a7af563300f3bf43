import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudFormationClient, CreateStackCommand } from "@aws-sdk/client-cloudformation";
import { describe, expect, it } from "vitest";
import { deployPattern } from "../../../src/deploy/deploy.js";
import type { DeployEvent } from "../../../src/deploy/events.js";
import { WsqError } from "../../../src/shared/errors.js";
import { LOCAL_CREDENTIALS, type Target } from "../../../src/shared/target.js";
import { sdkConfig, tempDir, useTestCloud } from "../../helpers/local-cloud.js";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";
import { output, settle } from "../cloudformation/helpers.js";

// IAM's eventual consistency, reproduced with the local cloud's test hook: the next N
// CreateEventSourceMapping calls fail as Lambda fails them when the function role's new SQS
// permissions have not reached it yet. Deploy (the built handler: `npm run build` first) must
// recognise the failure in the stack events and retry once.

function localTarget(cloud: LocalCloud): Target {
  return { kind: "local", region: cloud.region, endpoint: cloud.url, profile: undefined, credentials: { ...LOCAL_CREDENTIALS }, dataDir: undefined };
}

async function deploy(cloud: LocalCloud, stackName = "iam") {
  const events: DeployEvent[] = [];
  const run = deployPattern({
    target: localTarget(cloud),
    stackName,
    parameters: [],
    emit: (event) => events.push(event),
    confirm: async () => true,
    env: { WSQ_HOME: tempDir("wsq-iam-home-") },
  });
  return { run, events };
}

const notes = (events: DeployEvent[]) => events.flatMap((e) => (e.type === "note" ? [e.message] : []));
const LAMBDA_MESSAGE = "The provided execution role does not have permissions to call ReceiveMessage on SQS";

describe("deploy and IAM's eventual consistency (fault injected at CreateEventSourceMapping)", () => {
  it("retries a create that Lambda refused once, saying why, and succeeds", async () => {
    const cloud = await useTestCloud({ testFaults: { failCreateEventSourceMapping: 1 } });
    const { run, events } = await deploy(cloud);
    const result = await run;
    expect(result).toMatchObject({ operation: "create", status: "CREATE_COMPLETE" });
    expect(notes(events)).toContainEqual(expect.stringContaining(`EventSourceMapping failed: Lambda could not use the function role's SQS permissions yet`));
    expect(notes(events)).toContainEqual(expect.stringContaining("Trying the create once more."));
    // The failure CloudFormation recorded is Lambda's, in the shape its resource handlers report.
    const failed = events.find((e) => e.type === "resource" && e.event.status === "CREATE_FAILED" && e.event.logicalId === "EventSourceMapping");
    expect(failed).toMatchObject({ event: { reason: expect.stringContaining(LAMBDA_MESSAGE) } });
    expect(
      (await cloud.services.lambda.api.listEventSourceMappings({ FunctionName: result.outputs.FunctionName })).EventSourceMappings?.map((m) => m.State),
    ).toEqual(["Enabled"]);
  }, 120_000);

  it("stops after a second refusal with an error that names IAM's eventual consistency and the fix", async () => {
    const cloud = await useTestCloud({ testFaults: { failCreateEventSourceMapping: 2 } });
    const { run } = await deploy(cloud);
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WsqError);
    expect(error).toMatchObject({
      code: "IAM_NOT_PROPAGATED",
      exitCode: 1,
      message: expect.stringContaining("The create of stack iam failed twice, and was rolled back (ROLLBACK_COMPLETE)"),
      hint: expect.stringMatching(/IAM is eventually consistent.*Wait a minute and run `wsq deploy --stack-name iam` again/),
    });
    expect((error as WsqError).message).toContain(LAMBDA_MESSAGE);
    // The faults are used up: the next deploy deletes the rolled-back stack and succeeds.
    expect(await (await deploy(cloud)).run).toMatchObject({ status: "CREATE_COMPLETE" });
  }, 120_000);

  it("upgrades a stack whose queues are named as wsq's earlier template named them, retrying the update Lambda refused once", async () => {
    const faults = { failCreateEventSourceMapping: 0 };
    const cloud = await useTestCloud({ testFaults: faults });
    // The asset bucket and the handler zip, from a first deploy.
    const first = await (await deploy(cloud)).run;
    const { bucket, key } = first.handler;
    // A stack created from the earlier template: the same, with queues named after the stack.
    const earlier = readFileSync(join(import.meta.dirname, "..", "..", "..", "templates", "wsq.yaml"), "utf8")
      .replace("  DeadLetterQueue:\n    Type: AWS::SQS::Queue\n    Properties:\n", '$&      QueueName: !Sub "${AWS::StackName}-dead-letters.fifo"\n')
      .replace("  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n", '$&      QueueName: !Sub "${AWS::StackName}-requests.fifo"\n');
    expect(earlier.match(/^ {6}QueueName: /gm)).toHaveLength(2);
    const cfn = new CloudFormationClient(sdkConfig(cloud));
    try {
      await cfn.send(
        new CreateStackCommand({
          StackName: "upgrade",
          TemplateBody: earlier,
          Parameters: [
            { ParameterKey: "AssetBucket", ParameterValue: bucket },
            { ParameterKey: "AssetKey", ParameterValue: key },
          ],
          Capabilities: ["CAPABILITY_IAM"],
        }),
      );
      const created = await settle(cfn, "upgrade");
      expect(created.StackStatus).toBe("CREATE_COMPLETE");
      expect(output(created, "QueueUrl")).toMatch(/\/upgrade-requests\.fifo$/);

      // The shipped template replaces both queues, so the mapping too: Lambda refuses it once.
      faults.failCreateEventSourceMapping = 1;
      const { run, events } = await deploy(cloud, "upgrade");
      const result = await run;
      expect(result).toMatchObject({ operation: "update", status: "UPDATE_COMPLETE" });
      expect(notes(events)).toContainEqual(
        expect.stringMatching(/^This update replaces (Queue and DeadLetterQueue|DeadLetterQueue and Queue): messages still in the old queues/),
      );
      expect(notes(events)).toContainEqual(expect.stringContaining("Trying the update once more."));
      expect(events.filter((e) => e.type === "operation-end" && e.stackName === "upgrade").map((e) => (e as { status: string }).status)).toEqual([
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_COMPLETE",
      ]);
      expect(result.outputs.QueueUrl).toMatch(/\/upgrade-Queue-[A-Z0-9]{12}\.fifo$/);
      expect(faults.failCreateEventSourceMapping).toBe(0);
    } finally {
      cfn.destroy();
    }
  }, 120_000);
});
