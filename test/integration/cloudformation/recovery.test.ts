import { describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { CreateStackCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { GetQueueAttributesCommand, SetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { startTestCloud, tempDir } from "../../helpers/local-cloud.js";
import { DATABASE_FILE } from "../../../src/local/server/database.js";
import { allEvents, clients, fixture, output, settle } from "./helpers.js";

/**
 * A crash leaves a stack *_IN_PROGRESS in the database. These tests write exactly that state
 * (as a kill -9 between two steps would leave it), restart the local cloud on the same data, and
 * check that the operation converges by the documented rule.
 */
async function withCrashedStack(
  edit: (db: Database.Database, stackId: string, queueUrl: string) => void,
  check: (stackId: string, queueUrl: string, cloud: Awaited<ReturnType<typeof startTestCloud>>) => Promise<void>,
  beforeCrash?: (cloud: Awaited<ReturnType<typeof startTestCloud>>, queueUrl: string) => Promise<void>,
): Promise<void> {
  const dataDir = tempDir();
  try {
    const first = await startTestCloud({ dataDir, keepData: true });
    const { cfn } = clients(first);
    const { StackId } = await cfn.send(new CreateStackCommand({ StackName: "crashy", TemplateBody: fixture("two-queues.yaml") }));
    const created = await settle(cfn, "crashy");
    expect(created.StackStatus).toBe("CREATE_COMPLETE");
    const queueUrl = output(created, "MainUrl")!;
    await beforeCrash?.(first, queueUrl);
    await first.stop();

    const db = new Database(join(dataDir, DATABASE_FILE));
    edit(db, StackId!, queueUrl);
    db.close();

    const second = await startTestCloud({ dataDir, keepData: true });
    try {
      await check(StackId!, queueUrl.replace(first.url, second.url), second);
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function queueGone(cloud: Awaited<ReturnType<typeof startTestCloud>>, url: string): Promise<boolean> {
  return clients(cloud)
    .sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))
    .then(
      () => false,
      () => true,
    );
}

describe("recovery of stack operations interrupted by a crash", () => {
  it("rolls back a stack left CREATE_IN_PROGRESS, deleting what it had created", async () => {
    await withCrashedStack(
      (db, stackId) => {
        db.prepare("UPDATE cfn_stacks SET status = 'CREATE_IN_PROGRESS' WHERE stack_id = ?").run(stackId);
        db.prepare("UPDATE cfn_resources SET status = 'CREATE_IN_PROGRESS' WHERE stack_id = ? AND logical_id = 'Main'").run(stackId);
      },
      async (stackId, url, cloud) => {
        const { cfn } = clients(cloud);
        const stack = await settle(cfn, stackId);
        expect(stack.StackStatus).toBe("ROLLBACK_COMPLETE");
        expect(await queueGone(cloud, url)).toBe(true);
        const statuses = (await allEvents(cfn, stackId)).map((event) => `${event.LogicalResourceId}:${event.ResourceStatus}`);
        expect(statuses).toContain("Main:CREATE_FAILED");
        expect(statuses.slice(-1)).toEqual(["crashy:ROLLBACK_COMPLETE"]);
      },
    );
  });

  it("finishes a delete left DELETE_IN_PROGRESS", async () => {
    await withCrashedStack(
      (db, stackId) => {
        db.prepare("UPDATE cfn_stacks SET status = 'DELETE_IN_PROGRESS' WHERE stack_id = ?").run(stackId);
      },
      async (stackId, url, cloud) => {
        const { cfn } = clients(cloud);
        expect((await settle(cfn, stackId)).StackStatus).toBe("DELETE_COMPLETE");
        expect(await queueGone(cloud, url)).toBe(true);
        await expect(cfn.send(new DescribeStacksCommand({ StackName: "crashy" }))).rejects.toMatchObject({ name: "ValidationError" });
      },
    );
  });

  it("rolls an update left UPDATE_IN_PROGRESS back to the state before it", async () => {
    await withCrashedStack(
      (db, stackId) => {
        // The crash hit after Main was updated in place (retention 60) but before the update finished.
        const stack = db.prepare("SELECT template_body, parameters, outputs FROM cfn_stacks WHERE stack_id = ?").get(stackId) as {
          template_body: string;
          parameters: string;
          outputs: string;
        };
        const rows = db.prepare("SELECT * FROM cfn_resources WHERE stack_id = ?").all(stackId) as Record<string, string | number>[];
        const snapshot = {
          templateBody: stack.template_body,
          parameters: JSON.parse(stack.parameters) as unknown,
          outputs: JSON.parse(stack.outputs) as unknown,
          resources: rows.map((row) => ({
            logicalId: row.logical_id,
            physicalId: row.physical_id,
            type: row.type,
            status: row.status,
            statusReason: undefined,
            properties: JSON.parse(String(row.properties)) as unknown,
            attributes: JSON.parse(String(row.attributes)) as unknown,
            deletionPolicy: row.deletion_policy,
            dependsOn: JSON.parse(String(row.depends_on)) as unknown,
            lastUpdated: row.last_updated,
          })),
        };
        db.prepare("UPDATE cfn_stacks SET status = 'UPDATE_IN_PROGRESS', previous = ?, parameters = ? WHERE stack_id = ?").run(
          JSON.stringify(snapshot),
          JSON.stringify({ Retention: "60", MainName: "" }),
          stackId,
        );
        const main = rows.find((row) => row.logical_id === "Main")!;
        const properties = { ...(JSON.parse(String(main.properties)) as Record<string, unknown>), MessageRetentionPeriod: "60" };
        db.prepare("UPDATE cfn_resources SET properties = ?, status = 'UPDATE_COMPLETE' WHERE stack_id = ? AND logical_id = 'Main'").run(
          JSON.stringify(properties),
          stackId,
        );
      },
      async (stackId, url, cloud) => {
        const { cfn, sqs } = clients(cloud);
        const stack = await settle(cfn, stackId);
        expect(stack.StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
        expect(stack.Parameters).toContainEqual({ ParameterKey: "Retention", ParameterValue: "345600" });
        const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["MessageRetentionPeriod"] }));
        expect(attributes.Attributes?.MessageRetentionPeriod).toBe("345600");
      },
      async (cloud, url) => {
        await clients(cloud).sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { MessageRetentionPeriod: "60" } }));
      },
    );
  });
});
