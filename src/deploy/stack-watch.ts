/**
 * Following a stack operation: new stack events as they appear (oldest first) and the stack's
 * status until it is terminal. CloudFormation offers no push channel, so this polls
 * DescribeStackEvents and DescribeStacks at the target's interval.
 */
import { DescribeStackEventsCommand, DescribeStacksCommand, type CloudFormationClient, type Stack, type StackEvent } from "@aws-sdk/client-cloudformation";
import { WsqError, ExitCode } from "../shared/errors.js";
import type { ResourceEvent, StackOperation } from "./events.js";
import { abortableDelay } from "../shared/delay.js";

/** Terminal stack statuses each operation can end in. */
const TERMINAL: Record<StackOperation, readonly string[]> = {
  create: ["CREATE_COMPLETE", "CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_COMPLETE", "DELETE_FAILED"],
  update: ["UPDATE_COMPLETE", "UPDATE_FAILED", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED"],
  delete: ["DELETE_COMPLETE", "DELETE_FAILED"],
};

export const SUCCESS: Record<StackOperation, string> = { create: "CREATE_COMPLETE", update: "UPDATE_COMPLETE", delete: "DELETE_COMPLETE" };

/**
 * CloudFormation has no error code of its own for a missing stack: DescribeStacks and
 * DescribeStackEvents answer ValidationError "Stack with id NAME does not exist", and the
 * message is the only thing that tells it from other validation errors.
 */
export function isStackNotFound(error: unknown): boolean {
  return error instanceof Error && /does not exist/i.test(error.message);
}

export async function describeStack(cfn: CloudFormationClient, stackName: string): Promise<Stack | undefined> {
  try {
    const reply = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return reply.Stacks?.[0];
  } catch (error) {
    if (isStackNotFound(error)) return undefined;
    throw error;
  }
}

export function toResourceEvent(event: StackEvent): ResourceEvent {
  return {
    eventId: event.EventId ?? "",
    timestamp: event.Timestamp ?? new Date(0),
    logicalId: event.LogicalResourceId ?? "",
    resourceType: event.ResourceType ?? "",
    status: event.ResourceStatus ?? "",
    reason: event.ResourceStatusReason,
  };
}

/** Remembers which events were already seen, so each poll yields only new ones. */
export class StackEventCursor {
  private readonly seen = new Set<string>();

  constructor(
    private readonly cfn: CloudFormationClient,
    private readonly stackId: string,
  ) {}

  /** Marks every current event as seen (call before starting the operation). */
  async skipExisting(): Promise<void> {
    await this.next();
  }

  /** New events since the last call, oldest first. Pages only as far back as the first known event. */
  async next(): Promise<ResourceEvent[]> {
    const fresh: StackEvent[] = [];
    let token: string | undefined;
    do {
      let reply;
      try {
        reply = await this.cfn.send(new DescribeStackEventsCommand({ StackName: this.stackId, NextToken: token }));
      } catch (error) {
        if (isStackNotFound(error)) break;
        throw error;
      }
      let reachedKnown = false;
      for (const event of reply.StackEvents ?? []) {
        if (event.EventId && this.seen.has(event.EventId)) {
          reachedKnown = true;
          break;
        }
        fresh.push(event);
      }
      token = reachedKnown ? undefined : reply.NextToken;
    } while (token);
    for (const event of fresh) if (event.EventId) this.seen.add(event.EventId);
    return fresh.reverse().map(toResourceEvent);
  }
}

export interface WatchOptions {
  cfn: CloudFormationClient;
  stackId: string;
  stackName: string;
  operation: StackOperation;
  cursor: StackEventCursor;
  /** The stack as it was before the operation (undefined for a new stack). */
  before: Stack | undefined;
  pollMs: number;
  signal?: AbortSignal;
  onEvent(event: ResourceEvent): void;
}

/** Polls until the operation reaches a terminal status; resolves with the stack's final state. */
export async function watchStackOperation(options: WatchOptions): Promise<{ status: string; reason: string | undefined }> {
  const { cfn, stackId, stackName, operation } = options;
  let sawOwnEvent = false;
  for (;;) {
    for (const event of await options.cursor.next()) {
      if (event.logicalId === stackName && event.resourceType === "AWS::CloudFormation::Stack") sawOwnEvent = true;
      options.onEvent(event);
    }
    let stack: Stack | undefined;
    try {
      stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackId }))).Stacks?.[0];
    } catch (error) {
      if (!isStackNotFound(error)) throw error;
    }
    // A deleted stack may no longer be found at all (CloudFormation keeps it by id for a while).
    const status = stack?.StackStatus ?? (operation === "delete" || operation === "create" ? "DELETE_COMPLETE" : "UNKNOWN");
    // Right after ExecuteChangeSet a read may still show the previous terminal status: it counts
    // only once this operation visibly started (its own event, or a changed status or time).
    const started =
      sawOwnEvent ||
      stack === undefined ||
      options.before === undefined ||
      status !== options.before.StackStatus ||
      stack.LastUpdatedTime?.getTime() !== options.before.LastUpdatedTime?.getTime();
    if (TERMINAL[operation].includes(status) && started) {
      for (const event of await options.cursor.next()) options.onEvent(event);
      return { status, reason: stack?.StackStatusReason };
    }
    if (options.signal?.aborted) {
      throw new WsqError("INTERRUPTED", `Stopped following stack ${stackName}; CloudFormation carries on with the ${operation} (now ${status}).`, {
        hint: `Check it with \`wsq status --stack-name ${stackName}\`.`,
        exitCode: ExitCode.interrupted,
      });
    }
    await abortableDelay(options.pollMs, options.signal);
  }
}
