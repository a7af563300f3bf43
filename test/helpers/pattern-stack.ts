// A deployed pattern as tests read and adjust it: through the AWS APIs, as an operator could, with
// wsq's own readers where it has them (DescribeStacks' outputs, a queue's depth).
import { CloudFormationClient, DescribeStacksCommand, type CloudFormationClientConfig } from "@aws-sdk/client-cloudformation";
import { GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { queueDepth } from "../../src/client/dlq/queues.js";
import { outputsFromDescribe, type StackOutputs } from "../../src/deploy/stack-outputs.js";

/** The stack's outputs, from DescribeStacks (throws when one the template declares is missing). */
export async function stackOutputs(config: CloudFormationClientConfig, stackName: string): Promise<StackOutputs> {
  const cfn = new CloudFormationClient(config);
  try {
    return outputsFromDescribe(stackName, (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.Outputs);
  } finally {
    cfn.destroy();
  }
}

/** Messages in the queue, visible or in flight. */
export async function messagesIn(sqs: SQSClient, queueUrl: string): Promise<number> {
  const depth = await queueDepth(sqs, queueUrl);
  return depth.visible + depth.inFlight;
}

/**
 * Lowers the queue's visibility timeout and its redrive policy's maxReceiveCount below what the
 * template allows, so that failing messages are dead-lettered within a test.
 */
export async function shortenRedelivery(
  sqs: SQSClient,
  queueUrl: string,
  options: { maxReceiveCount: number; visibilityTimeoutSeconds: number },
): Promise<void> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["RedrivePolicy"] }));
  const redrive = { ...(JSON.parse(Attributes?.RedrivePolicy ?? "{}") as Record<string, unknown>), maxReceiveCount: options.maxReceiveCount };
  await sqs.send(
    new SetQueueAttributesCommand({
      QueueUrl: queueUrl,
      Attributes: { VisibilityTimeout: String(options.visibilityTimeoutSeconds), RedrivePolicy: JSON.stringify(redrive) },
    }),
  );
}
