/**
 * The asset bucket: one small CloudFormation stack (templates/wsq-assets.yaml) per account and
 * region, holding an encrypted, non-public bucket whose name CloudFormation picks. Creating it
 * through CloudFormation needs no STS call to learn the account id, and runs the same way on the
 * local cloud. Handler zips are stored under their sha256, so an unchanged handler is never uploaded
 * twice and an unchanged key means an unchanged function.
 */
import { DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DescribeStacksCommand, GetTemplateCommand, type CloudFormationClient, type Stack } from "@aws-sdk/client-cloudformation";
import { WsqError } from "../shared/errors.js";
import type { EmitDeployEvent } from "./events.js";
import type { HandlerAsset } from "./handler-bundle.js";
import { deleteStack, deployStack } from "./stack-operations.js";
import { describeStack } from "./stack-watch.js";
import { ASSETS_STACK_NAME, ASSETS_TEMPLATE, loadTemplate } from "./template.js";

const BUCKET_OUTPUT = "AssetBucketName";

export interface AssetContext {
  cfn: CloudFormationClient;
  s3: S3Client;
  pollMs: number;
  emit: EmitDeployEvent;
  signal?: AbortSignal;
  targetFlag: string;
}

function bucketOf(stack: { Outputs?: { OutputKey?: string; OutputValue?: string }[] }): string | undefined {
  return stack.Outputs?.find((o) => o.OutputKey === BUCKET_OUTPUT)?.OutputValue;
}

/** The asset bucket's name, creating the asset stack first if this account and region have none. */
export async function ensureAssetBucket(context: AssetContext): Promise<string> {
  const { cfn } = context;
  let stack = await describeStack(cfn, ASSETS_STACK_NAME);
  const status = stack?.StackStatus ?? "";
  if (stack && (status === "CREATE_COMPLETE" || status === "UPDATE_COMPLETE" || status === "UPDATE_ROLLBACK_COMPLETE")) {
    const bucket = bucketOf(stack);
    if (bucket) {
      await upgradeAssetStack(context);
      return bucket;
    }
  }
  // The asset stack holds nothing but the (then empty) bucket: a failed attempt can be removed and retried.
  if (stack && (status === "ROLLBACK_COMPLETE" || status === "DELETE_FAILED" || status === "ROLLBACK_FAILED")) {
    context.emit({ type: "step", message: `Removing the failed asset stack ${ASSETS_STACK_NAME} (${status})` });
    await deleteStack({
      cfn,
      stack,
      stackName: ASSETS_STACK_NAME,
      resourceCount: 1,
      pollMs: context.pollMs,
      emit: context.emit,
      targetFlag: context.targetFlag,
      ...(context.signal ? { signal: context.signal } : {}),
    });
    stack = undefined;
  }
  const template = loadTemplate(ASSETS_TEMPLATE);
  context.emit({ type: "step", message: `Creating the asset bucket (stack ${ASSETS_STACK_NAME}, once per account and region)` });
  await applyAssetTemplate(context, template.body);
  stack = await describeStack(cfn, ASSETS_STACK_NAME);
  const bucket = stack && bucketOf(stack);
  if (!bucket)
    throw new WsqError("ASSET_STACK_BROKEN", `Stack ${ASSETS_STACK_NAME} has no ${BUCKET_OUTPUT} output.`, {
      hint: `Delete it (wsq destroy --purge-assets) and deploy again.`,
    });
  return bucket;
}

/**
 * An asset stack created by an earlier wsq runs the template it was created with (before the
 * bucket policy that refuses plain HTTP, for one): when the deployed template differs from the
 * shipped one, the stack is updated to it. One GetTemplate call when nothing changed.
 */
async function upgradeAssetStack(context: AssetContext): Promise<void> {
  const shipped = loadTemplate(ASSETS_TEMPLATE);
  let deployed: string | undefined;
  try {
    deployed = (await context.cfn.send(new GetTemplateCommand({ StackName: ASSETS_STACK_NAME, TemplateStage: "Original" }))).TemplateBody;
  } catch {
    return; // Best effort: the bucket works either way.
  }
  // Compared as text, line endings aside: an unchanged template costs no change set.
  const normalized = (text: string): string => text.replace(/\r\n/g, "\n").trim();
  if (deployed === undefined || normalized(deployed) === normalized(shipped.body)) return;
  context.emit({ type: "step", message: `Updating the asset stack ${ASSETS_STACK_NAME} to this version's template` });
  await applyAssetTemplate(context, shipped.body);
}

/** Creates or updates the asset stack to this template, without asking: it holds only the bucket. */
async function applyAssetTemplate(context: AssetContext, templateBody: string): Promise<void> {
  await deployStack({
    cfn: context.cfn,
    stackName: ASSETS_STACK_NAME,
    templateBody,
    parameters: {},
    templateParameters: [],
    capabilities: [],
    description: "wsq asset bucket",
    pollMs: context.pollMs,
    emit: context.emit,
    confirm: async () => true,
    targetFlag: context.targetFlag,
    ...(context.signal ? { signal: context.signal } : {}),
  });
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata?.httpStatusCode === 404;
}

/** Uploads the zip unless an object with its key (its hash) is already there. */
export async function uploadAsset(s3: S3Client, bucket: string, asset: HandlerAsset): Promise<{ uploaded: boolean }> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: asset.key }));
    return { uploaded: false };
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: asset.key, Body: asset.zip, ContentType: "application/zip" }));
  return { uploaded: true };
}

/** A stack whose handler zip is in the asset bucket: deleting the bucket would break its rollback and its next update. */
export interface AssetUser {
  stackName: string;
  status: string;
  key: string | undefined;
}

/**
 * The stacks of this account and region (except `ignore`) whose AssetBucket parameter names the
 * asset bucket. DescribeStacks without a name lists every stack that is not deleted, with its
 * parameters, a page at a time.
 */
export async function assetUsers(cfn: CloudFormationClient, ignore: readonly string[]): Promise<{ bucket: string | undefined; users: AssetUser[] }> {
  const assets = await describeStack(cfn, ASSETS_STACK_NAME);
  const bucket = assets ? bucketOf(assets) : undefined;
  if (bucket === undefined) return { bucket, users: [] };
  const users: AssetUser[] = [];
  let token: string | undefined;
  do {
    const page = await cfn.send(new DescribeStacksCommand(token ? { NextToken: token } : {}));
    for (const stack of page.Stacks ?? []) {
      const name = stack.StackName ?? "";
      if (name === ASSETS_STACK_NAME || ignore.includes(name) || stack.StackStatus === "DELETE_COMPLETE") continue;
      if (parameterOf(stack, "AssetBucket") !== bucket) continue;
      users.push({ stackName: name, status: stack.StackStatus ?? "", key: parameterOf(stack, "AssetKey") });
    }
    token = page.NextToken;
  } while (token);
  return { bucket, users };
}

function parameterOf(stack: Stack, key: string): string | undefined {
  return stack.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue;
}

/** Empties the asset bucket and deletes the asset stack. Returns false when there was none. */
export async function purgeAssets(context: AssetContext): Promise<boolean> {
  const { cfn, s3 } = context;
  const stack = await describeStack(cfn, ASSETS_STACK_NAME);
  if (!stack) return false;
  const bucket = bucketOf(stack);
  if (bucket) {
    context.emit({ type: "step", message: `Emptying the asset bucket ${bucket}` });
    let token: string | undefined;
    let removed = 0;
    do {
      let page;
      try {
        page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      } catch (error) {
        if ((error as { name?: string }).name === "NoSuchBucket") break;
        throw error;
      }
      // One DeleteObject per key: a handful of handler zips, and every S3 implementation has it.
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
        removed += 1;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    context.emit({ type: "note", message: `Removed ${removed} object${removed === 1 ? "" : "s"} from ${bucket}` });
  }
  context.emit({ type: "step", message: `Deleting the asset stack ${ASSETS_STACK_NAME}` });
  await deleteStack({
    cfn,
    stack,
    stackName: ASSETS_STACK_NAME,
    resourceCount: 1,
    pollMs: context.pollMs,
    emit: context.emit,
    targetFlag: context.targetFlag,
    ...(context.signal ? { signal: context.signal } : {}),
  });
  return true;
}
