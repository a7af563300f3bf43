import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { describeError } from "../../shared/errors.js";
import { clientConfig, type Target } from "../../shared/target.js";
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
