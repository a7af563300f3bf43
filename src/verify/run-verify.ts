/**
 * `wsq verify`: deploy the pattern (or use a deployed stack), send it the frames and bursts whose
 * fate the local cloud decides by assumption, read back what AWS (or the local cloud) did, judge
 * each assumption (checks.ts), and remove what it created. The same SDK calls and WebSocket frames
 * on both targets: every URL comes from the stack's outputs, every client from the target.
 */
import { randomBytes } from "node:crypto";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { abortableDelay } from "../shared/delay.js";
import { describeError, WsqError } from "../shared/errors.js";
import { buildMessage } from "../shared/pattern-messages.js";
import { clientConfig, type Target } from "../shared/target.js";
import { createDeployClients } from "../deploy/clients.js";
import { deployPattern } from "../deploy/deploy.js";
import { destroyPattern } from "../deploy/destroy.js";
import type { DeployEvent } from "../deploy/events.js";
import { describeStack } from "../deploy/stack-watch.js";
import { outputsFromDescribe, type StackOutputs } from "../deploy/stack-outputs.js";
import { ASSETS_STACK_NAME } from "../deploy/template.js";
import { planBurst, type Rate } from "../client/burst/plan.js";
import { runBurstRaw } from "../client/burst/run-burst.js";
import { sqsQueueProbe } from "../client/burst/queue-probe.js";
import { computeReport } from "../client/burst/stats.js";
import type { BurstConfig, BurstReport } from "../client/burst/types.js";
import {
  ABOVE_QUOTA_COUNT,
  evaluateChecks,
  PACED_ABOVE_COUNT,
  PACED_ABOVE_RATE,
  PROBE_FRAMES,
  QUOTA_PER_SECOND,
  TOGETHER_COUNT,
  type CheckOutcome,
} from "./checks.js";
import { FrameProbe } from "./frames.js";
import { observeRedrive } from "./redrive.js";
import type { BurstObservation, VerifyObservations } from "./observations.js";

export const DEFAULT_VERIFY_STACK = "wsq-verify";

export interface VerifyOptions {
  /** A prepared target (on the local target, the local cloud runs). */
  target: Target;
  stackName: string;
  /** Keep what verify created (the stack, the asset stack) instead of deleting it. */
  keep: boolean;
  /** Progress, one line per step. */
  onStep: (message: string) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** The local cloud's settings (quotas, ordered frames), when the target is the local cloud. */
  local?: { quotas: boolean; orderedFrames: boolean } | null;
}

export interface VerifyReport {
  version: 1;
  target: Target["kind"];
  region: string | null;
  stackName: string;
  /** Whether verify deployed the stack (and the asset stack) itself. */
  deployed: { stack: boolean; assets: boolean };
  /** What verify removed at the end (nothing with --keep, or when it created nothing). */
  removed: string[];
  /** Why removing what verify created failed, if it did (remove it with `wsq destroy`). */
  cleanupError: string | null;
  startedAt: string;
  durationMs: number;
  checks: CheckOutcome[];
  /** Every assumption held. */
  ok: boolean;
  observations: VerifyObservations;
}

/** How long one probe frame may take to come back: a cold function on AWS takes seconds. */
function frameWaitMs(target: Target): number {
  return target.kind === "aws" ? 30_000 : 15_000;
}

/** How long after the run the function's log lines may take to be readable (CloudWatch Logs delivers them late). */
function logWaitMs(target: Target): number {
  return target.kind === "aws" ? 60_000 : 10_000;
}

export async function runVerify(options: VerifyOptions): Promise<VerifyReport> {
  const { target } = options;
  const started = Date.now();
  const runId = randomBytes(3).toString("hex");
  const step = options.onStep;
  const emit = (event: DeployEvent) => {
    if (event.type === "step" || event.type === "note") step(event.message);
  };

  const deploy = createDeployClients(target);
  let deployed = { stack: false, assets: false };
  let outputs: StackOutputs;
  try {
    const existing = await describeStack(deploy.cloudFormation, options.stackName);
    const usable = existing !== undefined && /_COMPLETE$/.test(existing.StackStatus ?? "") && !/ROLLBACK|DELETE/.test(existing.StackStatus ?? "");
    if (usable) {
      step(`Using the deployed stack ${options.stackName} (${existing.StackStatus})`);
      outputs = outputsFromDescribe(options.stackName, existing.Outputs);
    } else {
      const assets = await describeStack(deploy.cloudFormation, ASSETS_STACK_NAME);
      step(`Deploying the stack ${options.stackName} on the ${target.kind} target`);
      try {
        const result = await deployPattern({
          target,
          stackName: options.stackName,
          parameters: [],
          emit,
          confirm: () => Promise.resolve(true),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.env ? { env: options.env } : {}),
        });
        outputs = result.outputs;
      } catch (error) {
        // A failed create leaves a rolled-back stack (and maybe a new asset stack): not the user's, so removed.
        if (existing === undefined && !options.keep) {
          step(`The deploy failed; removing what it left`);
          await destroyPattern({
            target,
            stackName: options.stackName,
            purgeAssets: assets === undefined,
            emit,
            confirm: () => Promise.resolve(true),
            ...(options.env ? { env: options.env } : {}),
          }).catch(() => undefined);
        }
        throw error;
      }
      deployed = { stack: true, assets: assets === undefined };
    }
  } finally {
    deploy.destroy();
  }

  const removed: string[] = [];
  let observations: VerifyObservations | undefined;
  let failure: unknown;
  try {
    observations = await observe(options, outputs, runId, started);
  } catch (error) {
    failure = error;
  }
  // Cleaning up must neither hide the observations nor the reason the run failed.
  let cleanupError: string | null = null;
  if (deployed.stack && !options.keep) {
    step(`Deleting the stack ${options.stackName}${deployed.assets ? ` and the asset stack ${ASSETS_STACK_NAME}` : ""}, which verify created`);
    try {
      await destroyPattern({
        target,
        stackName: options.stackName,
        purgeAssets: deployed.assets,
        emit,
        confirm: () => Promise.resolve(true),
        ...(options.env ? { env: options.env } : {}),
      });
      removed.push(options.stackName);
      if (deployed.assets) removed.push(ASSETS_STACK_NAME);
    } catch (error) {
      cleanupError = describeError(error);
    }
  }
  if (observations === undefined) {
    if (cleanupError !== null) step(`Could not remove the stack ${options.stackName}: ${cleanupError}`);
    throw failure;
  }
  const checks = evaluateChecks(observations);
  return {
    version: 1,
    target: target.kind,
    region: target.region ?? null,
    stackName: options.stackName,
    deployed,
    removed,
    cleanupError,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    checks,
    ok: checks.every((c) => c.held),
    observations,
  };
}

async function observe(options: VerifyOptions, outputs: StackOutputs, runId: string, started: number): Promise<VerifyObservations> {
  const { target } = options;
  const step = options.onStep;
  const sqs = new SQSClient(clientConfig(target));
  const lambda = new LambdaClient(clientConfig(target));
  const logs = new CloudWatchLogsClient(clientConfig(target));
  try {
    step("Reading the queue's attributes and the function's configuration");
    let queueAttributes: Record<string, string> | null = null;
    let queueAttributesError: string | null = null;
    try {
      queueAttributes = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: outputs.QueueUrl, AttributeNames: ["All"] }))).Attributes ?? {};
    } catch (error) {
      queueAttributesError = describeError(error);
    }
    const deadLetterQueueArn = await attribute(sqs, outputs.DeadLetterQueueUrl, "QueueArn");
    const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: outputs.FunctionName })).catch(() => undefined);
    const functionTimeoutSeconds = configuration?.Timeout ?? null;
    const logGroup = configuration?.LoggingConfig?.LogGroup ?? `/aws/lambda/${outputs.FunctionName}`;
    const dlqDepthBefore = await depth(sqs, outputs.DeadLetterQueueUrl);

    step("Sending single frames: text, a numeric group, a punctuated group, a brace that is not JSON");
    const probe = await FrameProbe.open(outputs.WebSocketUrl);
    const wait = frameWaitMs(target);
    let frames: VerifyObservations["frames"];
    try {
      frames = {
        nonJson: await probe.send(PROBE_FRAMES.nonJson, wait),
        numericGroup: await probe.send(
          JSON.stringify({ action: "send", id: `verify-${runId}-numeric`, MessageGroupId: PROBE_FRAMES.numericGroup, data: "numeric group" }),
          wait,
        ),
        punctuatedGroup: await probe.send(
          buildMessage({ id: `verify-${runId}-punctuated`, group: PROBE_FRAMES.punctuatedGroup, data: "punctuated group" }),
          wait,
        ),
        braceNotJson: await probe.send(PROBE_FRAMES.braceNotJson, wait),
      };
    } finally {
      probe.close();
    }

    step(`Pacing ${QUOTA_PER_SECOND} frames over one second on one message group (its quota)`);
    const atQuota = await burst(options, outputs, sqs, `${runId}q`, QUOTA_PER_SECOND, { kind: "fixed", perSecond: QUOTA_PER_SECOND });
    step(`Pacing ${PACED_ABOVE_COUNT} frames at ${PACED_ABOVE_RATE}/s on another group (20% above its quota, for two seconds)`);
    const pacedAbove = await burst(options, outputs, sqs, `${runId}p`, PACED_ABOVE_COUNT, { kind: "fixed", perSecond: PACED_ABOVE_RATE });
    step(`Sending ${ABOVE_QUOTA_COUNT} frames at once on another group (three seconds of its quota)`);
    const aboveQuota = await burst(options, outputs, sqs, `${runId}x`, ABOVE_QUOTA_COUNT, { kind: "max" });
    step(`Sending ${TOGETHER_COUNT} frames together on one connection, to see the order they reach the queue in`);
    const together = await burst(options, outputs, sqs, `${runId}t`, TOGETHER_COUNT, { kind: "max" });

    const dlqDepthAfter = await depth(sqs, outputs.DeadLetterQueueUrl);
    step("Dead-lettering a message and redriving it, on two FIFO queues of its own, to see what SQS changes in it");
    const redrive = await observeRedrive(sqs, runId, target.kind === "aws" ? 60_000 : 15_000);
    step("Reading the function's logs");
    const logSummary = await readLogs(logs, logGroup, started - 1000, logWaitMs(target));
    return {
      target: target.kind,
      region: target.region ?? null,
      stackName: options.stackName,
      local: options.local ?? null,
      queueAttributes,
      queueAttributesError,
      deadLetterQueueArn,
      functionTimeoutSeconds,
      frames,
      bursts: { atQuota, pacedAbove, aboveQuota, together },
      redrive,
      dlqDepthBefore,
      dlqDepthAfter,
      logs: logSummary,
    };
  } finally {
    sqs.destroy();
    lambda.destroy();
    logs.destroy();
  }
}

async function attribute(sqs: SQSClient, queueUrl: string, name: "QueueArn"): Promise<string | null> {
  try {
    return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [name] }))).Attributes?.[name] ?? null;
  } catch {
    return null;
  }
}

async function depth(sqs: SQSClient, queueUrl: string): Promise<number | null> {
  try {
    const d = await sqsQueueProbe(sqs, queueUrl).depth();
    return d.visible + d.inFlight;
  } catch {
    return null;
  }
}

/** One group on one connection, through `wsq burst`'s own run loop and checks. */
async function burst(options: VerifyOptions, outputs: StackOutputs, sqs: SQSClient, runId: string, count: number, rate: Rate): Promise<BurstObservation> {
  const plan = planBurst({ count, connections: 1, groups: 1, rate, size: 0, runId: `verify-${runId}` });
  const config: BurstConfig = {
    runId: `verify-${runId}`,
    url: outputs.WebSocketUrl,
    queueUrl: outputs.QueueUrl,
    deadLetterQueueUrl: null,
    count,
    connections: 1,
    activeConnections: 1,
    groups: 1,
    rate,
    size: 0,
    timeoutMs: 120_000,
    pollIntervalMs: 250,
  };
  const raw = await runBurstRaw({
    url: outputs.WebSocketUrl,
    plan,
    config,
    probe: sqsQueueProbe(sqs, outputs.QueueUrl),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (raw.outcome === "interrupted") throw new WsqError("INTERRUPTED", "Interrupted.");
  return summarizeBurst(computeReport(raw), plan.groupNames[0] ?? "");
}

export function summarizeBurst(report: BurstReport, group: string): BurstObservation {
  const v = report.verification;
  const shapes = new Map<string, { message: string; keys: string[]; count: number }>();
  for (const frame of report.errors.errorFrames) {
    const keys = frame.members ?? [];
    const key = `${frame.message}\u0000${keys.join(",")}`;
    const shape = shapes.get(key) ?? { message: frame.message, keys, count: 0 };
    shape.count += 1;
    shapes.set(key, shape);
  }
  return {
    count: report.config.count,
    rate: report.config.rate.kind === "max" ? "max" : report.config.rate.perSecond,
    group,
    sent: report.counts.sent,
    answered: report.counts.answered,
    throttledAtQueue: v.throttled.queue.length,
    throttledAtStage: v.throttled.stage.length,
    refused: v.refused.length,
    lost: v.lost.length,
    duplicated: v.duplicated.length,
    orderViolations: v.orderViolations.length,
    reorderedBeforeQueue: v.sendOrderReorderings.length,
    errorFrames: [...shapes.values()],
    outcome: report.outcome,
    durationMs: report.durationMs,
  };
}

/** The function's log lines since `startTime`, read until they stop growing (or `waitMs` passes), summarized. */
async function readLogs(client: CloudWatchLogsClient, logGroupName: string, startTime: number, waitMs: number): Promise<VerifyObservations["logs"]> {
  const deadline = Date.now() + waitMs;
  let messages: string[] = [];
  let error: string | null = null;
  for (;;) {
    const seen: string[] = [];
    try {
      let nextToken: string | undefined;
      do {
        const page = await client.send(new FilterLogEventsCommand({ logGroupName, startTime, ...(nextToken ? { nextToken } : {}) }));
        for (const event of page.events ?? []) seen.push(event.message ?? "");
        nextToken = page.nextToken;
      } while (nextToken);
      error = null;
    } catch (caught) {
      error = describeError(caught);
    }
    const settled = error === null && seen.length > 0 && seen.length === messages.length && seen.some((m) => m.startsWith("REPORT"));
    messages = seen;
    if (settled || Date.now() > deadline) break;
    await abortableDelay(1000, undefined);
  }
  const reportFields = new Set<string>();
  for (const line of messages.filter((m) => m.startsWith("REPORT"))) {
    for (const part of line.split("\t").slice(1)) {
      const name = part.split(":")[0]?.trim();
      if (name) reportFields.add(name);
    }
  }
  return {
    lines: messages.length,
    starts: messages.filter((m) => m.startsWith("START RequestId")).length,
    ends: messages.filter((m) => m.startsWith("END RequestId")).length,
    reports: messages.filter((m) => m.startsWith("REPORT RequestId")).length,
    reportFields: [...reportFields].sort(),
    errorLines: messages.filter((m) => /\tERROR\t/.test(m)).slice(0, 10),
    error,
  };
}
