/**
 * SQS refuses to create a queue under the name of one deleted less than 60 seconds ago
 * (QueueDeletedRecently; API_CreateQueue). A stack's queues are named after the stack, so creating
 * a stack again soon after it was deleted, or after its first create was rolled back, would fail
 * half-way and roll back once more. Deploy waits out the rest of the minute instead, having found
 * when the queues were deleted in the events of the stack's deleted instances (ListStacks keeps
 * deleted stacks, and DescribeStackEvents answers for them by stack id, on AWS and locally alike).
 */
import { DescribeStackEventsCommand, ListStacksCommand, type CloudFormationClient, type StackEvent } from "@aws-sdk/client-cloudformation";

/** How long SQS keeps a deleted queue's name; one more second for clock skew between the two. */
export const QUEUE_NAME_REUSE_MS = 60_000;
const MARGIN_MS = 1_000;
/** ListStacks pages looked at: recently deleted stacks come first, and this is best effort. */
const MAX_PAGES = 3;

/** When the names of the queues these events show deleted can be used again, if that is after `now`. */
export function queueNamesFreeAt(events: readonly Pick<StackEvent, "ResourceType" | "ResourceStatus" | "Timestamp">[], now: number): number | undefined {
  let latest: number | undefined;
  for (const event of events) {
    if (event.ResourceType !== "AWS::SQS::Queue" || event.ResourceStatus !== "DELETE_COMPLETE" || event.Timestamp === undefined) continue;
    const at = event.Timestamp.getTime();
    if (latest === undefined || at > latest) latest = at;
  }
  if (latest === undefined) return undefined;
  const free = latest + QUEUE_NAME_REUSE_MS + MARGIN_MS;
  return free > now ? free : undefined;
}

/**
 * When the queue names of deleted instances of `stackName` are free again, if that is still to
 * come; undefined when nothing was deleted recently, or when CloudFormation could not tell (the
 * create then fails as it would have, and its error names the wait).
 */
export async function recentQueueNamesFreeAt(cfn: CloudFormationClient, stackName: string, now: number): Promise<number | undefined> {
  try {
    const deleted: string[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const reply = await cfn.send(new ListStacksCommand({ StackStatusFilter: ["DELETE_COMPLETE"], ...(nextToken ? { NextToken: nextToken } : {}) }));
      for (const summary of reply.StackSummaries ?? []) {
        const deletedAt = summary.DeletionTime?.getTime();
        if (summary.StackName === stackName && summary.StackId && deletedAt !== undefined && now - deletedAt < QUEUE_NAME_REUSE_MS + MARGIN_MS)
          deleted.push(summary.StackId);
      }
      nextToken = reply.NextToken;
      if (!nextToken) break;
    }
    let free: number | undefined;
    for (const stackId of deleted) {
      // The deletion (or the rollback before it) is the newest activity: the first page has it.
      const reply = await cfn.send(new DescribeStackEventsCommand({ StackName: stackId }));
      const at = queueNamesFreeAt(reply.StackEvents ?? [], now);
      if (at !== undefined && (free === undefined || at > free)) free = at;
    }
    return free;
  } catch {
    return undefined;
  }
}
