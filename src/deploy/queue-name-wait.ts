/**
 * SQS refuses to create a queue under the name of one deleted less than 60 seconds ago
 * (QueueDeletedRecently; API_CreateQueue). The shipped template leaves queue names to
 * CloudFormation, which generates a new one every time, so it never meets that rule. A template
 * that names its queues does (a stack deployed with wsq's earlier template, or a user's own): then
 * creating the stack again soon after it was deleted, or after its first create was rolled back,
 * would fail half-way and roll back once more. Deploy waits out the rest of the minute instead,
 * but only when the template about to be created names a queue that a deleted instance of the
 * stack deleted within that minute. It finds those deletions in the events of the stack's deleted
 * instances (ListStacks keeps deleted stacks, and DescribeStackEvents answers for them by stack
 * id, on AWS and locally alike).
 */
import { DescribeStackEventsCommand, ListStacksCommand, type CloudFormationClient, type StackEvent } from "@aws-sdk/client-cloudformation";
import { parseCloudFormationYaml, type CloudFormationTemplate } from "./cfn-yaml.js";

/** How long SQS keeps a deleted queue's name; one more second for clock skew between the two. */
export const QUEUE_NAME_REUSE_MS = 60_000;
const MARGIN_MS = 1_000;
/** ListStacks pages looked at: recently deleted stacks come first, and this is best effort. */
const MAX_PAGES = 3;

/**
 * The queue names a template sets. `unresolved` when a QueueName is an expression this cannot
 * evaluate without CloudFormation (a parameter, a condition, a region): every recently deleted
 * queue of the stack then counts, to be safe.
 */
export interface NamedQueues {
  names: ReadonlySet<string>;
  unresolved: boolean;
}

/** `${AWS::StackName}` is the only reference a client can resolve before CloudFormation does. */
function resolveName(value: unknown, stackName: string): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length !== 1) return undefined;
  const [fn, argument] = entries[0]!;
  if (fn === "Ref") return argument === "AWS::StackName" ? stackName : undefined;
  if (fn === "Fn::Sub" && typeof argument === "string") {
    const substituted = argument.replace(/\$\{AWS::StackName\}/g, stackName);
    return /\$\{/.test(substituted) ? undefined : substituted;
  }
  if (fn === "Fn::Join" && Array.isArray(argument) && typeof argument[0] === "string" && Array.isArray(argument[1])) {
    const parts = (argument[1] as unknown[]).map((part) => resolveName(part, stackName));
    return parts.every((part) => part !== undefined) ? parts.join(argument[0]) : undefined;
  }
  return undefined;
}

export function namedQueues(template: CloudFormationTemplate | string, stackName: string): NamedQueues {
  let parsed: CloudFormationTemplate;
  try {
    parsed = typeof template === "string" ? parseCloudFormationYaml(template) : template;
  } catch {
    // Not YAML this can read (CloudFormation will say what is wrong): assume the worst.
    return { names: new Set(), unresolved: true };
  }
  const names = new Set<string>();
  let unresolved = false;
  for (const resource of Object.values(parsed?.Resources ?? {})) {
    if (resource?.Type !== "AWS::SQS::Queue") continue;
    const given = resource.Properties?.QueueName;
    if (given === undefined) continue;
    const name = resolveName(given, stackName);
    if (name === undefined) unresolved = true;
    else names.add(name);
  }
  return { names, unresolved };
}

/** The queue name in a queue's physical id (its URL: `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`). */
function queueNameOf(physicalId: string | undefined): string | undefined {
  if (physicalId === undefined || physicalId === "") return undefined;
  return physicalId.slice(physicalId.lastIndexOf("/") + 1);
}

/**
 * When the names these events show deleted can be used again by `named`, if that is after `now`:
 * the last deletion of a queue the template names (any queue when a name is unresolved), plus 60 s.
 */
export function queueNamesFreeAt(
  events: readonly Pick<StackEvent, "ResourceType" | "ResourceStatus" | "Timestamp" | "PhysicalResourceId">[],
  now: number,
  named: NamedQueues,
): number | undefined {
  let latest: number | undefined;
  for (const event of events) {
    if (event.ResourceType !== "AWS::SQS::Queue" || event.ResourceStatus !== "DELETE_COMPLETE" || event.Timestamp === undefined) continue;
    const name = queueNameOf(event.PhysicalResourceId);
    if (!named.unresolved && (name === undefined || !named.names.has(name))) continue;
    const at = event.Timestamp.getTime();
    if (latest === undefined || at > latest) latest = at;
  }
  if (latest === undefined) return undefined;
  const free = latest + QUEUE_NAME_REUSE_MS + MARGIN_MS;
  return free > now ? free : undefined;
}

/**
 * When the queue names `named` needs are free again, if that is still to come; undefined when the
 * template names no queue (no call is made then), when nothing was deleted recently, or when
 * CloudFormation could not tell (the create then fails as it would have, and its error names the
 * wait).
 */
export async function recentQueueNamesFreeAt(cfn: CloudFormationClient, stackName: string, now: number, named: NamedQueues): Promise<number | undefined> {
  if (named.names.size === 0 && !named.unresolved) return undefined;
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
      const at = queueNamesFreeAt(reply.StackEvents ?? [], now, named);
      if (at !== undefined && (free === undefined || at > free)) free = at;
    }
    return free;
  } catch {
    return undefined;
  }
}
