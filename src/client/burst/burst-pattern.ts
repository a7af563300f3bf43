import { SQSClient } from "@aws-sdk/client-sqs";
import { DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { clientConfig, requireLocalEndpoint, type Target } from "../../shared/target.js";
import { findStackOutputs } from "../../deploy/stack-outputs.js";
import { validateWebSocketUrl } from "../common/websocket-target.js";
import type { BurstSettings } from "./options.js";
import type { BurstPlan } from "./plan.js";
import { runBurstRaw, type BurstEvent } from "./run-burst.js";
import { inspectDeadLetterQueue, sqsQueueProbe } from "./queue-probe.js";
import type { BurstConfig, BurstRawRun } from "./types.js";

/** Where a burst goes: the WebSocket API, and the queues whose depth and dead letters it watches. */
export interface BurstEndpoints {
  url: string;
  queueUrl: string | null;
  deadLetterQueueUrl: string | null;
}

/** The endpoints given (--url, --queue-url, --dlq-url), or those of the stack's outputs. */
export async function resolveBurstEndpoints(
  target: Target,
  given: { url?: string; queueUrl?: string; dlqUrl?: string; stackName?: string },
  env: NodeJS.ProcessEnv,
): Promise<BurstEndpoints> {
  if (given.url !== undefined) {
    const endpoints = { url: validateWebSocketUrl(given.url), queueUrl: given.queueUrl ?? null, deadLetterQueueUrl: given.dlqUrl ?? null };
    // A malformed queue URL is refused now, before the burst prints anything.
    sqsConfig(target, endpoints.queueUrl ?? endpoints.deadLetterQueueUrl);
    return endpoints;
  }
  if (target.kind === "local") requireLocalEndpoint(target);
  const outputs = await findStackOutputs(target, given.stackName ?? DEFAULT_STACK_NAME, env);
  return { url: validateWebSocketUrl(outputs.WebSocketUrl), queueUrl: outputs.QueueUrl, deadLetterQueueUrl: outputs.DeadLetterQueueUrl };
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

/**
 * Runs the planned burst at the endpoints, reading the queue's depth while it runs and looking
 * for lost messages in the dead-letter queue at the end, when those queues are known.
 */
export async function burstPattern(options: {
  target: Target;
  endpoints: BurstEndpoints;
  settings: BurstSettings;
  plan: BurstPlan;
  signal: AbortSignal;
  onEvent?: (event: BurstEvent) => void;
}): Promise<BurstRawRun> {
  const { target, settings, plan } = options;
  const { url, queueUrl, deadLetterQueueUrl: dlqUrl } = options.endpoints;
  const config: BurstConfig = {
    runId: settings.runId,
    url,
    queueUrl,
    deadLetterQueueUrl: dlqUrl,
    count: settings.count,
    connections: settings.connections,
    activeConnections: plan.activeConnections,
    groups: settings.groups,
    rate: settings.rate,
    size: settings.size,
    timeoutMs: settings.timeoutMs,
    pollIntervalMs: settings.pollIntervalMs,
  };
  const sqs = queueUrl !== null || dlqUrl !== null ? new SQSClient(sqsConfig(target, queueUrl ?? dlqUrl)) : undefined;
  try {
    return await runBurstRaw({
      url,
      plan,
      config,
      probe: sqs && queueUrl ? sqsQueueProbe(sqs, queueUrl) : undefined,
      deadLetters: sqs && dlqUrl ? { inspect: (lost) => inspectDeadLetterQueue(sqs, dlqUrl, lost) } : undefined,
      signal: options.signal,
      onEvent: options.onEvent,
      connectTimeoutMs: settings.connectTimeoutMs,
    });
  } finally {
    sqs?.destroy();
  }
}
