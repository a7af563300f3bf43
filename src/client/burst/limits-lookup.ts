import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { GetFunctionConcurrencyCommand, GetFunctionConfigurationCommand, LambdaClient, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { describeError } from "../../shared/errors.js";
import { clientConfig, type Target } from "../../shared/target.js";
import { LOCAL_MAX_ENVIRONMENTS_PER_FUNCTION } from "../../local/lambda/limits.js";
import { UNKNOWN_SETTINGS, type ConsumerSettings } from "./consumer.js";
import { queueModeOf, type QueueMode, type StageLimits } from "./quota.js";

/**
 * What decides the limits a burst must stay under, read with the same calls on both targets: the
 * queue's throughput mode (GetQueueAttributes) and the stage's throttle (the stack's parameters,
 * DescribeStacks). Either may be unknown; the quota check then takes the stricter assumption.
 */

export async function readQueueMode(sqs: SQSClient, queueUrl: string): Promise<{ mode: QueueMode; note: string | null }> {
  try {
    const reply = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["FifoQueue", "DeduplicationScope", "FifoThroughputLimit"] }),
    );
    return { mode: queueModeOf(reply.Attributes ?? {}), note: null };
  } catch (error) {
    return { mode: "unknown", note: `could not read the queue's attributes (${describeError(error)})` };
  }
}

/** The region in an SQS queue URL (https://sqs.REGION.amazonaws.com/…), if it names one. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  try {
    return /^sqs[.-]([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(queueUrl).hostname)?.[1];
  } catch {
    return undefined;
  }
}

/** The stage throttle the template's parameters set (ThrottlingRateLimit, ThrottlingBurstLimit), or null. */
export async function readStageLimits(target: Target, stackName: string): Promise<StageLimits | null> {
  const cfn = new CloudFormationClient(clientConfig(target));
  try {
    const reply = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const parameters = new Map((reply.Stacks?.[0]?.Parameters ?? []).map((p) => [p.ParameterKey, p.ParameterValue]));
    const rate = Number(parameters.get("ThrottlingRateLimit"));
    const burst = Number(parameters.get("ThrottlingBurstLimit"));
    return rate > 0 && burst > 0 ? { ratePerSecond: rate, burst } : null;
  } catch {
    // Only an input to a warning: the stack's outputs were found a moment ago.
    return null;
  } finally {
    cfn.destroy();
  }
}

function positive(value: unknown): number | null {
  const n = Number(value);
  return value !== undefined && value !== null && value !== "" && Number.isFinite(n) && n >= 0 ? n : null;
}

/**
 * What bounds the consumer, for the drain prediction, read with AWS's own calls on both targets:
 * the queue's VisibilityTimeout and RedrivePolicy (GetQueueAttributes), the function's event source
 * mapping on this queue (ListEventSourceMappings: BatchSize, ScalingConfig.MaximumConcurrency), its
 * reserved concurrency (GetFunctionConcurrency) and timeout (GetFunctionConfiguration). What cannot
 * be read (no function known with --url, or no permission) is left null and named in `notes`.
 */
export async function readConsumerSettings(
  target: Target,
  sqs: SQSClient | undefined,
  queueUrl: string | null,
  functionName: string | null,
): Promise<ConsumerSettings> {
  const notes: string[] = [];
  const settings: ConsumerSettings = {
    ...UNKNOWN_SETTINGS,
    // The local cloud runs at most this many environments of a function: a limit of this machine, not an AWS quota (docs/lambda.md).
    localEnvironmentLimit: target.kind === "local" ? LOCAL_MAX_ENVIRONMENTS_PER_FUNCTION : null,
    notes,
  };
  let queueArn: string | undefined;
  if (sqs !== undefined && queueUrl !== null) {
    try {
      const a =
        (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["VisibilityTimeout", "RedrivePolicy", "QueueArn"] })))
          .Attributes ?? {};
      settings.visibilityTimeoutSeconds = positive(a.VisibilityTimeout);
      queueArn = a.QueueArn;
      try {
        settings.maxReceiveCount = positive((JSON.parse(a.RedrivePolicy ?? "{}") as { maxReceiveCount?: unknown }).maxReceiveCount);
      } catch {
        settings.maxReceiveCount = null;
      }
    } catch (error) {
      notes.push(`the queue's attributes could not be read (${describeError(error)})`);
    }
  } else {
    notes.push("no queue URL: its visibility timeout and redrive policy are unknown");
  }
  if (functionName === null) {
    notes.push("no function known (--url): its mapping's batch size and concurrency are unknown");
    return settings;
  }
  const lambda = new LambdaClient(clientConfig(target));
  try {
    const [mappings, concurrency, configuration] = await Promise.allSettled([
      lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName, ...(queueArn !== undefined ? { EventSourceArn: queueArn } : {}) })),
      lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName })),
      lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
    ]);
    if (mappings.status === "fulfilled") {
      const mapping = (mappings.value.EventSourceMappings ?? []).find((m) => queueArn === undefined || m.EventSourceArn === queueArn);
      settings.batchSize = positive(mapping?.BatchSize);
      settings.maximumConcurrency = positive(mapping?.ScalingConfig?.MaximumConcurrency);
      if (mapping === undefined) notes.push(`no event source mapping of ${functionName} on the queue`);
    } else {
      notes.push(`the function's event source mapping could not be read (${describeError(mappings.reason)})`);
    }
    if (concurrency.status === "fulfilled") settings.reservedConcurrency = positive(concurrency.value.ReservedConcurrentExecutions);
    if (configuration.status === "fulfilled") settings.functionTimeoutSeconds = positive(configuration.value.Timeout);
    else notes.push(`the function's configuration could not be read (${describeError(configuration.reason)})`);
  } finally {
    lambda.destroy();
  }
  return settings;
}
