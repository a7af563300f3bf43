import { SQSClient } from "@aws-sdk/client-sqs";
import { DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { clientConfig, requireLocalEndpoint, type Target } from "../../shared/target.js";
import { findStackOutputs } from "../../deploy/stack-outputs.js";
import { validateWebSocketUrl } from "../common/websocket-target.js";
import type { BurstSettings } from "./options.js";
import { planBurst, type BurstPlan, type Rate } from "./plan.js";
import { autoRate, checkQuota, type QuotaCheck } from "./quota.js";
import { readConsumerSettings, readQueueMode, readStageLimits, regionOfQueueUrl } from "./limits-lookup.js";
import { defaultTimeoutMs, hasDirectives, predictDrain } from "./consumer.js";
import { runBurstRaw, type BurstEvent } from "./run-burst.js";
import { inspectDeadLetterQueue, sqsQueueProbe } from "./queue-probe.js";
import type { BurstConfig, BurstRawRun } from "./types.js";

/** Where a burst goes: the WebSocket API, and the queues whose depth and dead letters it watches. */
export interface BurstEndpoints {
  url: string;
  queueUrl: string | null;
  deadLetterQueueUrl: string | null;
  /** The stack's function (FunctionName output), whose mapping bounds the consumer; null with --url. */
  functionName: string | null;
}

/** The endpoints given (--url, --queue-url, --dlq-url), or those of the stack's outputs. */
export async function resolveBurstEndpoints(
  target: Target,
  given: { url?: string; queueUrl?: string; dlqUrl?: string; stackName?: string },
  env: NodeJS.ProcessEnv,
): Promise<BurstEndpoints> {
  if (given.url !== undefined) {
    const endpoints = { url: validateWebSocketUrl(given.url), queueUrl: given.queueUrl ?? null, deadLetterQueueUrl: given.dlqUrl ?? null, functionName: null };
    // A malformed queue URL is refused now, before the burst prints anything.
    sqsConfig(target, endpoints.queueUrl ?? endpoints.deadLetterQueueUrl);
    return endpoints;
  }
  if (target.kind === "local") requireLocalEndpoint(target);
  const outputs = await findStackOutputs(target, given.stackName ?? DEFAULT_STACK_NAME, env);
  return {
    url: validateWebSocketUrl(outputs.WebSocketUrl),
    queueUrl: outputs.QueueUrl,
    deadLetterQueueUrl: outputs.DeadLetterQueueUrl,
    functionName: outputs.FunctionName,
  };
}

/**
 * On the local target without a known endpoint (--url and --queue-url, no local cloud state),
 * the queue URL's own origin is the local cloud's endpoint; saying so keeps the SDK from warning
 * that the queue URL differs from its default AWS endpoint.
 */
function sqsConfig(target: Target, queueUrl: string | null): ReturnType<typeof clientConfig> {
  const config = clientConfig(target);
  if (target.kind === "local" && config.endpoint === undefined && queueUrl !== null) {
    try {
      return { ...config, endpoint: new URL(queueUrl).origin };
    } catch {
      throw new WsqError("BAD_QUEUE_URL", `"${queueUrl}" is not a queue URL.`, {
        hint: "Pass the QueueUrl output of the stack (`wsq status`).",
        exitCode: ExitCode.usage,
      });
    }
  }
  return config;
}

/** What the burst will do, decided before the first byte is sent: its pace, its plan, and whether the queue's quota allows it. */
export interface PreparedBurst {
  plan: BurstPlan;
  config: BurstConfig;
  quota: QuotaCheck;
  rate: Rate;
}

/**
 * Reads which FIFO quota applies (the queue's DeduplicationScope and FifoThroughputLimit) and the
 * stage's throttle, paces `--rate auto` under them, plans the burst, and checks the plan against
 * the quota, so that a burst the queue would throttle is named before it is sent.
 */
export async function prepareBurst(options: {
  target: Target;
  endpoints: BurstEndpoints;
  settings: BurstSettings;
  stackName?: string;
}): Promise<PreparedBurst> {
  const { target, settings } = options;
  const { url, queueUrl, deadLetterQueueUrl } = options.endpoints;
  const [queue, consumerSettings] = await withSqs(target, queueUrl, (sqs) =>
    Promise.all([
      sqs && queueUrl !== null ? readQueueMode(sqs, queueUrl) : Promise.resolve({ mode: "unknown" as const, note: "no queue URL to read its mode from" }),
      readConsumerSettings(target, sqs, queueUrl, options.endpoints.functionName),
    ]),
  );
  const region = (queueUrl !== null ? regionOfQueueUrl(queueUrl) : undefined) ?? target.region;
  // With --url there is no stack, so no stage to read the throttle of.
  const stage = options.stackName !== undefined ? await readStageLimits(target, options.stackName) : null;
  const rate = settings.rate.kind === "auto" ? autoRate(queue.mode, settings.groups, settings.count, region, stage) : settings.rate;
  const directed = hasDirectives(settings.consumer);
  const plan = planBurst({ ...settings, rate, runId: settings.runId, ...(directed ? { consumer: settings.consumer } : {}) });
  const quota = checkQuota({ messages: plan.messages, groups: settings.groups, rate, mode: queue.mode, region, stage, note: queue.note });
  const lastDue = plan.messages.length > 0 ? (plan.messages[plan.messages.length - 1] as { dueMs: number }).dueMs : 0;
  const prediction = directed ? predictDrain({ messages: plan.messages, groups: settings.groups, sendMs: lastDue, settings: consumerSettings }) : null;
  const config: BurstConfig = {
    runId: settings.runId,
    url,
    queueUrl,
    deadLetterQueueUrl,
    count: settings.count,
    connections: settings.connections,
    activeConnections: plan.activeConnections,
    groups: settings.groups,
    rate,
    autoRate: settings.rate.kind === "auto",
    size: settings.size,
    timeoutMs: settings.timeoutMs ?? defaultTimeoutMs(prediction),
    pollIntervalMs: settings.pollIntervalMs,
    strictSendOrder: settings.strictSendOrder,
    quota,
    consumer: {
      flags: settings.consumer,
      failAlways: plan.messages.filter((m) => m.directives?.fail === "always").map((m) => m.id),
      failOnce: plan.messages.filter((m) => m.directives?.fail === "once").map((m) => m.id),
      settings: consumerSettings,
      prediction,
    },
  };
  return { plan, config, quota, rate };
}

async function withSqs<T>(target: Target, queueUrl: string | null, use: (sqs: SQSClient | undefined) => Promise<T>): Promise<T> {
  const sqs = queueUrl !== null ? new SQSClient(sqsConfig(target, queueUrl)) : undefined;
  try {
    return await use(sqs);
  } finally {
    sqs?.destroy();
  }
}

/**
 * Runs the prepared burst at the endpoints, reading the queue's depth while it runs and looking
 * for lost messages in the dead-letter queue at the end, when those queues are known.
 */
export async function burstPattern(options: {
  target: Target;
  endpoints: BurstEndpoints;
  settings: BurstSettings;
  prepared: PreparedBurst;
  signal: AbortSignal;
  onEvent?: (event: BurstEvent) => void;
}): Promise<BurstRawRun> {
  const { target, settings } = options;
  const { plan, config } = options.prepared;
  const { url, queueUrl, deadLetterQueueUrl: dlqUrl } = options.endpoints;
  const sqs = queueUrl !== null || dlqUrl !== null ? new SQSClient(sqsConfig(target, queueUrl ?? dlqUrl)) : undefined;
  try {
    return await runBurstRaw({
      url,
      plan,
      config,
      probe: sqs && queueUrl ? sqsQueueProbe(sqs, queueUrl) : undefined,
      dlqProbe: sqs && dlqUrl ? sqsQueueProbe(sqs, dlqUrl) : undefined,
      deadLetters: sqs && dlqUrl ? { inspect: (lost) => inspectDeadLetterQueue(sqs, dlqUrl, lost) } : undefined,
      signal: options.signal,
      onEvent: options.onEvent,
      connectTimeoutMs: settings.connectTimeoutMs,
    });
  } finally {
    sqs?.destroy();
  }
}
