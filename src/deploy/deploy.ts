/**
 * `wsq deploy`: handler zip → asset bucket → change set → confirmation → execution → outputs.
 * Target-independent: the caller passes a prepared Target; events go to `emit`.
 */
import { existsSync } from "node:fs";
import { ExitCode, WsqError } from "../shared/errors.js";
import type { Target } from "../shared/target.js";
import { ensureAssetBucket, uploadAsset } from "./assets.js";
import { createDeployClients, pollIntervalMs } from "./clients.js";
import type { ChangeSummary, EmitDeployEvent } from "./events.js";
import { bundleUserHandler, readBuiltinHandler, type HandlerAsset } from "./handler-bundle.js";
import { targetFlagFor } from "./prepare-target.js";
import { deployStack } from "./stack-operations.js";
import { iamPropagationRetry } from "./iam-propagation.js";
import { describeStack } from "./stack-watch.js";
import { assertSamePort, outputsFromDescribe, saveStackOutputs, type StackOutputs } from "./stack-outputs.js";
import { PATTERN_TEMPLATE, loadTemplate, parseParameterFlags, validateStackName, type LoadedTemplate } from "./template.js";

export interface DeployOptions {
  target: Target;
  stackName: string;
  /** Raw `KEY=VALUE` flags. */
  parameters: readonly string[];
  /** A user processing function to bundle instead of the built-in echo handler. */
  handlerFile?: string;
  /** An already bundled handler (tests, or a caller that bundled it itself); wins over handlerFile. */
  asset?: HandlerAsset;
  emit: EmitDeployEvent;
  confirm: (changes: { stackName: string; operation: "create" | "update"; changes: ChangeSummary[] }) => Promise<boolean>;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Overrides the target's polling interval (tests). */
  pollMs?: number;
}

export interface DeployResult {
  stackName: string;
  target: Target["kind"];
  region: string | undefined;
  operation: "create" | "update";
  status: string;
  noChanges: boolean;
  changes: ChangeSummary[];
  handler: { source: string; bucket: string; key: string; sha256: string; uploaded: boolean };
  outputs: StackOutputs;
}

/** The checks that need no AWS call: run them before starting anything (the local cloud included). */
export function checkDeployInput(input: { stackName: string; parameters: readonly string[]; handlerFile?: string }): {
  stackName: string;
  parameters: Record<string, string>;
  template: LoadedTemplate;
} {
  const stackName = validateStackName(input.stackName);
  const template = loadTemplate(PATTERN_TEMPLATE);
  const parameters = parseParameterFlags(input.parameters, template.parsed);
  if (input.handlerFile !== undefined && !existsSync(input.handlerFile)) {
    throw new WsqError("HANDLER_NOT_FOUND", `The handler file ${input.handlerFile} does not exist.`, {
      hint: "Pass the path of a .ts or .js file that exports a `process` function.",
      exitCode: ExitCode.usage,
    });
  }
  return { stackName, parameters, template };
}

export async function deployPattern(options: DeployOptions): Promise<DeployResult> {
  const { target, emit } = options;
  const { stackName, parameters, template } = checkDeployInput(options);
  const targetFlag = targetFlagFor(target);

  let asset: HandlerAsset;
  if (options.asset !== undefined) {
    asset = options.asset;
  } else if (options.handlerFile !== undefined) {
    emit({ type: "step", message: `Bundling ${options.handlerFile}` });
    asset = await bundleUserHandler(options.handlerFile);
  } else {
    asset = readBuiltinHandler();
  }

  const clients = createDeployClients(target);
  try {
    // An update (or a no-op) keeps the endpoints a stack was created with: on the local target,
    // a stack created on another port stays unreachable whatever this deploy changes. Checked
    // before anything is uploaded, hence apart from deployStack's own look at the stack.
    const existing = await describeStack(clients.cloudFormation, stackName);
    const existingUrl = existing?.Outputs?.find((o) => o.OutputKey === "WebSocketUrl")?.OutputValue;
    if (existingUrl !== undefined) assertSamePort(target, stackName, { WebSocketUrl: existingUrl });
    const pollMs = options.pollMs ?? pollIntervalMs(target);
    const shared = { cfn: clients.cloudFormation, s3: clients.s3, pollMs, emit, targetFlag, ...(options.signal ? { signal: options.signal } : {}) };
    const bucket = await ensureAssetBucket(shared);
    emit({ type: "step", message: `Uploading the handler (${(asset.zip.length / 1024).toFixed(0)} KiB)` });
    const { uploaded } = await uploadAsset(clients.s3, bucket, asset);
    if (!uploaded) emit({ type: "note", message: `Handler ${asset.sha256.slice(0, 12)} is already in ${bucket}` });

    const result = await deployStack({
      cfn: clients.cloudFormation,
      stackName,
      templateBody: template.body,
      parameters: { ...parameters, AssetBucket: bucket, AssetKey: asset.key },
      templateParameters: Object.keys(template.parsed.Parameters ?? {}),
      capabilities: ["CAPABILITY_IAM"],
      description: `wsq deploy (${asset.source === "built-in" ? "built-in handler" : "custom handler"})`,
      pollMs,
      emit,
      confirm: options.confirm,
      targetFlag,
      retryOnce: iamPropagationRetry,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const stack = await describeStack(clients.cloudFormation, stackName);
    if (!stack)
      throw new WsqError("STACK_NOT_FOUND", `Stack ${stackName} disappeared right after its deploy.`, { hint: "Run `wsq status` to see what happened." });
    const outputs = outputsFromDescribe(stackName, stack.Outputs);
    saveStackOutputs(target, stackName, outputs, options.env);
    return {
      stackName,
      target: target.kind,
      region: target.region,
      operation: result.operation,
      status: stack.StackStatus ?? result.status,
      noChanges: result.noChanges,
      changes: result.changes,
      handler: { source: asset.source, bucket, key: asset.key, sha256: asset.sha256, uploaded },
      outputs,
    };
  } finally {
    clients.destroy();
  }
}
