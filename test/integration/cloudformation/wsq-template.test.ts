import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { zipSync, strToU8 } from "fflate";
import { CreateStackCommand, DeleteStackCommand, ListStackResourcesCommand, UpdateStackCommand } from "@aws-sdk/client-cloudformation";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";
import { clients, output, settle } from "./helpers.js";

const TEMPLATES = join(import.meta.dirname, "../../../templates");

/** The wsq template needs the Lambda and API Gateway services; they are built alongside this one. */
async function servicesReady(cloud: LocalCloud): Promise<boolean> {
  const probes = [cloud.services.lambda.api.listEventSourceMappings({}), cloud.services.apigateway.api.getApi({ ApiId: "probe" })];
  const results = await Promise.allSettled(probes);
  return results.every((result) => result.status === "fulfilled" || !/not implemented/.test(String((result.reason as Error).message)));
}

describe("the wsq template on the local cloud", () => {
  it("creates, no-op updates, updates in place and deletes the stack that deploy ships", async (context) => {
    const cloud = await useTestCloud();
    if (!(await servicesReady(cloud))) {
      context.skip();
      return;
    }
    const { cfn, sqs } = clients(cloud);
    await cfn.send(new CreateStackCommand({ StackName: "wsq-assets", TemplateBody: readFileSync(join(TEMPLATES, "wsq-assets.yaml"), "utf8") }));
    const assets = await settle(cfn, "wsq-assets");
    expect(assets.StackStatus).toBe("CREATE_COMPLETE");
    const bucket = output(assets, "AssetBucketName")!;
    const s3 = new S3Client({ ...sdkConfig(cloud), forcePathStyle: true });
    const handler = "exports.handler = async (event) => ({ batchItemFailures: [] });\n";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "handler.zip", Body: zipSync({ "index.js": strToU8(handler) }) }));

    const body = readFileSync(join(TEMPLATES, "wsq.yaml"), "utf8");
    const parameters = [
      { ParameterKey: "AssetBucket", ParameterValue: bucket },
      { ParameterKey: "AssetKey", ParameterValue: "handler.zip" },
    ];
    await cfn.send(new CreateStackCommand({ StackName: "wsq", TemplateBody: body, Parameters: parameters, Capabilities: ["CAPABILITY_IAM"] }));
    const stack = await settle(cfn, "wsq");
    expect(stack.StackStatusReason ?? "").toBe("");
    expect(stack.StackStatus).toBe("CREATE_COMPLETE");
    expect(output(stack, "WebSocketUrl")).toMatch(new RegExp(`^${cloud.url.replace("http", "ws")}/_aws/execute-api/[a-z0-9]+/production$`));
    expect(output(stack, "QueueUrl")).toMatch(/\/000000000000\/wsq-requests\.fifo$/);
    const resources = await cfn.send(new ListStackResourcesCommand({ StackName: "wsq" }));
    expect(resources.StackResourceSummaries?.every((resource) => resource.ResourceStatus === "CREATE_COMPLETE")).toBe(true);

    const previous = ["AssetBucket", "AssetKey"].map((key) => ({ ParameterKey: key, UsePreviousValue: true }));
    await expect(
      cfn.send(new UpdateStackCommand({ StackName: "wsq", UsePreviousTemplate: true, Parameters: previous, Capabilities: ["CAPABILITY_IAM"] })),
    ).rejects.toMatchObject({
      message: "No updates are to be performed.",
    });
    await cfn.send(
      new UpdateStackCommand({
        StackName: "wsq",
        UsePreviousTemplate: true,
        Parameters: [...previous, { ParameterKey: "FunctionTimeoutSeconds", ParameterValue: "30" }],
        Capabilities: ["CAPABILITY_IAM"],
      }),
    );
    const updated = await settle(cfn, "wsq");
    expect(updated.StackStatus).toBe("UPDATE_COMPLETE");
    const visibility = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: output(updated, "QueueUrl"), AttributeNames: ["VisibilityTimeout"] }));
    expect(visibility.Attributes?.VisibilityTimeout).toBe("180");

    await cfn.send(new DeleteStackCommand({ StackName: "wsq" }));
    expect((await settle(cfn, stack.StackId!)).StackStatus).toBe("DELETE_COMPLETE");
  });
});
