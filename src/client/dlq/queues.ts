/**
 * The two queues `wsq dlq` works on, found from the stack's outputs (QueueUrl, DeadLetterQueueUrl)
 * and never by name: the template may let CloudFormation name them. The same SDK calls on AWS and
 * on the local cloud.
 */
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { WsqError } from "../../shared/errors.js";
import type { StackOutputs } from "../../deploy/stack-outputs.js";

export interface DeadLetterTarget {
  stackName: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
  functionName: string;
  fifo: boolean;
  /** The source queue's RedrivePolicy maxReceiveCount (undefined if it has none). */
  maxReceiveCount: number | undefined;
  /** The source queue's visibility timeout, in seconds. */
  visibilityTimeoutSeconds: number;
  /** Set when the DLQ has a RedrivePolicy of its own: receiving its messages could move them on. */
  dlqRedrivesTo: string | undefined;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
}

function redrivePolicy(text: string | undefined): { deadLetterTargetArn?: string; maxReceiveCount?: number | string } | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text) as { deadLetterTargetArn?: string; maxReceiveCount?: number | string };
  } catch {
    return undefined;
  }
}

export function queueName(url: string): string {
  return url.split("/").pop() ?? url;
}

export async function findDeadLetterTarget(sqs: SQSClient, stackName: string, outputs: StackOutputs): Promise<DeadLetterTarget> {
  const [source, dlq] = await Promise.all([
    sqs.send(new GetQueueAttributesCommand({ QueueUrl: outputs.QueueUrl, AttributeNames: ["QueueArn", "RedrivePolicy", "VisibilityTimeout", "FifoQueue"] })),
    sqs.send(new GetQueueAttributesCommand({ QueueUrl: outputs.DeadLetterQueueUrl, AttributeNames: ["QueueArn", "RedrivePolicy"] })),
  ]);
  const queueArn = source.Attributes?.QueueArn;
  const dlqArn = dlq.Attributes?.QueueArn;
  if (queueArn === undefined || dlqArn === undefined) {
    throw new WsqError("QUEUE_UNREADABLE", `The queues of stack "${stackName}" did not report their ARNs.`, {
      hint: "Check the stack with `wsq status`; redeploy it with `wsq deploy` if its queues are missing.",
    });
  }
  const policy = redrivePolicy(source.Attributes?.RedrivePolicy);
  const maxReceiveCount = policy?.maxReceiveCount === undefined ? undefined : Number(policy.maxReceiveCount);
  return {
    stackName,
    queueUrl: outputs.QueueUrl,
    queueArn,
    dlqUrl: outputs.DeadLetterQueueUrl,
    dlqArn,
    functionName: outputs.FunctionName,
    fifo: source.Attributes?.FifoQueue === "true",
    maxReceiveCount: Number.isFinite(maxReceiveCount) ? maxReceiveCount : undefined,
    visibilityTimeoutSeconds: Number(source.Attributes?.VisibilityTimeout ?? 30) || 30,
    dlqRedrivesTo: redrivePolicy(dlq.Attributes?.RedrivePolicy)?.deadLetterTargetArn,
  };
}

export async function queueDepth(sqs: SQSClient, url: string): Promise<QueueDepth> {
  const reply = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  return {
    visible: Number(reply.Attributes?.ApproximateNumberOfMessages ?? 0) || 0,
    inFlight: Number(reply.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) || 0,
  };
}
