/**
 * The change-set flow shared by the pattern stack and the asset stack: create a change set, wait
 * for it, list its changes, ask, execute, follow the events to the end. And deletion.
 */
import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  ExecuteChangeSetCommand,
  type CloudFormationClient,
  type Parameter,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import { WsqError, ExitCode } from "../shared/errors.js";
import type { ChangeSummary, EmitDeployEvent, ResourceFailure, StackOperation } from "./events.js";
import { StackProgress } from "./progress.js";
import { deployModeFor, failureLines, operationFailedError } from "./stack-state.js";
import { namedQueues, recentQueueNamesFreeAt } from "./queue-name-wait.js";
import { abortableDelay } from "../shared/delay.js";
import { SUCCESS, StackEventCursor, describeStack, toResourceEvent, watchStackOperation } from "./stack-watch.js";

/** What CloudFormation says when a change set has nothing to do (create-change-set docs / SAM's check). */
const NO_CHANGES = /didn't contain changes|No updates are to be performed|no changes/i;

export interface StackDeployRequest {
  cfn: CloudFormationClient;
  stackName: string;
  templateBody: string;
  /** Explicit values; for an update, parameters the stack already has and that are not given keep their previous value. */
  parameters: Record<string, string>;
  /** Parameters the template declares (only those are passed as UsePreviousValue). */
  templateParameters: readonly string[];
  capabilities: ("CAPABILITY_IAM" | "CAPABILITY_NAMED_IAM")[];
  description: string;
  pollMs: number;
  emit: EmitDeployEvent;
  /** Asked once the changes are listed; false cancels (the change set is removed). */
  confirm: (changes: { stackName: string; operation: "create" | "update"; changes: ChangeSummary[] }) => Promise<boolean>;
  signal?: AbortSignal;
  /** ` --target aws` or "" for hints. */
  targetFlag: string;
  /** A failure worth one automatic retry (a transient cause CloudFormation does not retry itself). */
  retryOnce?: RetryOnce;
  /** Set on the retry itself. */
  retried?: boolean;
}

/**
 * A cause of failure that a second attempt usually gets past. Only a create that was rolled back
 * (ROLLBACK_COMPLETE) or an update that was (UPDATE_ROLLBACK_COMPLETE) is retried: both leave the
 * stack where a second attempt can start from.
 */
export interface RetryOnce {
  /** Why these failures are worth one more attempt, for the note printed before it; undefined if they are not. */
  reason(failures: readonly ResourceFailure[]): string | undefined;
  /** The error when the second attempt failed the same way. */
  giveUp(stackName: string, operation: "create" | "update", status: string, failures: readonly ResourceFailure[], targetFlag: string): WsqError;
}

export interface StackDeployResult {
  stackName: string;
  stackId: string;
  operation: "create" | "update";
  status: string;
  noChanges: boolean;
  changes: ChangeSummary[];
}

/** The failures recorded in a stack's event history (newest operation only), for explaining a stuck state. */
export async function recentFailures(cfn: CloudFormationClient, stackName: string): Promise<ResourceFailure[]> {
  try {
    const reply = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }));
    const progress = new StackProgress(stackName, 0);
    for (const event of (reply.StackEvents ?? []).map(toResourceEvent).reverse()) progress.apply(event);
    return progress.snapshot().failures.slice(-5);
  } catch {
    return [];
  }
}

async function waitForChangeSet(
  cfn: CloudFormationClient,
  changeSetId: string,
  pollMs: number,
): Promise<{ status: string; reason: string | undefined; changes: ChangeSummary[] }> {
  for (;;) {
    const first = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId }));
    const status = first.Status ?? "";
    if (status === "CREATE_COMPLETE" || status === "FAILED" || status === "DELETE_COMPLETE" || status === "DELETE_FAILED") {
      const changes: ChangeSummary[] = [];
      let reply = first;
      for (;;) {
        for (const change of reply.Changes ?? []) {
          const resource = change.ResourceChange;
          if (!resource) continue;
          changes.push({
            action: resource.Action ?? "",
            logicalId: resource.LogicalResourceId ?? "",
            resourceType: resource.ResourceType ?? "",
            replacement: resource.Replacement,
          });
        }
        if (!reply.NextToken) break;
        reply = await cfn.send(new DescribeChangeSetCommand({ ChangeSetName: changeSetId, NextToken: reply.NextToken }));
      }
      return { status, reason: first.StatusReason, changes };
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Waits, with a step saying why, until SQS takes the queue names the template sets again. A
 * template that names no queue (the shipped one) never waits, and costs no call.
 */
async function waitForQueueNames(request: StackDeployRequest): Promise<void> {
  const freeAt = await recentQueueNamesFreeAt(request.cfn, request.stackName, Date.now(), namedQueues(request.templateBody, request.stackName));
  if (freeAt === undefined) return;
  const seconds = Math.ceil((freeAt - Date.now()) / 1000);
  request.emit({
    type: "step",
    message: `Waiting ${seconds} s: the template names its queues, stack ${request.stackName}'s queues of those names were deleted less than a minute ago, and SQS refuses a deleted queue's name for 60 s`,
  });
  await abortableDelay(Math.max(0, freeAt - Date.now()), request.signal);
  if (request.signal?.aborted) {
    throw new WsqError("INTERRUPTED", `Deploy of stack ${request.stackName} stopped while waiting for SQS; nothing was created.`, {
      exitCode: ExitCode.interrupted,
    });
  }
}

async function discardChangeSet(cfn: CloudFormationClient, changeSetId: string, stackName: string, operation: "create" | "update"): Promise<void> {
  await cfn.send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId })).catch(() => undefined);
  // A declined first change set leaves an empty stack in REVIEW_IN_PROGRESS behind: remove it.
  if (operation === "create") await cfn.send(new DeleteStackCommand({ StackName: stackName })).catch(() => undefined);
}

/** Deletes a stack whose create rolled back (ROLLBACK_COMPLETE): it holds no resources. */
function deleteEmptyStack(request: StackDeployRequest, stack: Stack): Promise<unknown> {
  return deleteStack({
    cfn: request.cfn,
    stack,
    stackName: request.stackName,
    resourceCount: 0,
    pollMs: request.pollMs,
    emit: request.emit,
    targetFlag: request.targetFlag,
    ...(request.signal ? { signal: request.signal } : {}),
  });
}

/** Create or update a stack through a change set. Throws a WsqError on failure or refusal. */
export async function deployStack(request: StackDeployRequest): Promise<StackDeployResult> {
  const { cfn, stackName, emit } = request;
  let before = await describeStack(cfn, stackName);
  if (before?.StackStatus === "ROLLBACK_COMPLETE") {
    // Its first create failed and was rolled back: it holds nothing, and CloudFormation cannot
    // update it. Deleted and created afresh, as the CDK does; why it failed is said first.
    const failures = await recentFailures(cfn, stackName);
    emit({
      type: "note",
      message: `Stack ${stackName} failed to create earlier and was rolled back (ROLLBACK_COMPLETE), so it holds no resources: deleting it to create it again.${failureLines(failures)}`,
    });
    await deleteEmptyStack(request, before);
    before = undefined;
  }
  const pastFailures = before?.StackStatus?.endsWith("_FAILED") ? await recentFailures(cfn, stackName) : [];
  const operation = deployModeFor(before, stackName, request.targetFlag, pastFailures);
  if (operation === "create") await waitForQueueNames(request);
  const existing = new Set((operation === "update" ? (before?.Parameters ?? []) : []).map((p) => p.ParameterKey));
  const parameters: Parameter[] = request.templateParameters.flatMap((key): Parameter[] => {
    const value = request.parameters[key];
    if (value !== undefined) return [{ ParameterKey: key, ParameterValue: value }];
    return existing.has(key) ? [{ ParameterKey: key, UsePreviousValue: true }] : [];
  });

  emit({ type: "step", message: `Creating a change set for stack ${stackName}` });
  const created = await cfn.send(
    new CreateChangeSetCommand({
      StackName: stackName,
      ChangeSetName: `wsq-${Date.now()}`,
      ChangeSetType: operation === "create" ? "CREATE" : "UPDATE",
      TemplateBody: request.templateBody,
      Parameters: parameters,
      Capabilities: request.capabilities,
      Description: request.description,
    }),
  );
  const changeSetId = created.Id ?? "";
  const stackId = created.StackId ?? stackName;
  const changeSet = await waitForChangeSet(cfn, changeSetId, request.pollMs);
  if (changeSet.status !== "CREATE_COMPLETE") {
    await cfn.send(new DeleteChangeSetCommand({ ChangeSetName: changeSetId })).catch(() => undefined);
    if (operation === "update" && NO_CHANGES.test(changeSet.reason ?? "")) {
      emit({ type: "no-changes", stackName });
      return { stackName, stackId, operation, status: before?.StackStatus ?? "", noChanges: true, changes: [] };
    }
    if (operation === "create") await cfn.send(new DeleteStackCommand({ StackName: stackName })).catch(() => undefined);
    throw new WsqError("CHANGE_SET_FAILED", `CloudFormation refused the change set for stack ${stackName}: ${changeSet.reason ?? changeSet.status}`, {
      hint: "Fix the parameter or template problem it names, and deploy again.",
    });
  }
  emit({ type: "changes", stackName, operation, changes: changeSet.changes });
  const replacedQueues = changeSet.changes.filter(
    (change) =>
      change.action === "Modify" && change.resourceType === "AWS::SQS::Queue" && (change.replacement === "True" || change.replacement === "Conditional"),
  );
  if (replacedQueues.length > 0) {
    // A replaced queue is a new, empty queue; the old one is deleted with whatever it still holds.
    emit({
      type: "note",
      message: `This update replaces ${replacedQueues.map((c) => c.logicalId).join(" and ")}: messages still in the old queue${replacedQueues.length > 1 ? "s" : ""} are deleted with ${replacedQueues.length > 1 ? "them" : "it"}. Let the function drain the queue first (\`wsq status\` shows its depth and the dead letters) if they matter.`,
    });
  }

  let confirmed: boolean;
  try {
    confirmed = await request.confirm({ stackName, operation, changes: changeSet.changes });
  } catch (error) {
    await discardChangeSet(cfn, changeSetId, stackName, operation);
    throw error;
  }
  if (!confirmed) {
    await discardChangeSet(cfn, changeSetId, stackName, operation);
    throw new WsqError("CANCELLED", `Deploy of stack ${stackName} cancelled; nothing was changed.`, { exitCode: ExitCode.failure });
  }

  const cursor = new StackEventCursor(cfn, stackId);
  await cursor.skipExisting();
  const progress = new StackProgress(stackName, changeSet.changes.length);
  emit({ type: "operation-start", stackName, operation, total: changeSet.changes.length });
  await cfn.send(new ExecuteChangeSetCommand({ ChangeSetName: changeSetId }));
  const outcome = await watchStackOperation({
    cfn,
    stackId,
    stackName,
    operation,
    cursor,
    before: operation === "create" ? undefined : before,
    pollMs: request.pollMs,
    ...(request.signal ? { signal: request.signal } : {}),
    onEvent: (event) => {
      progress.apply(event);
      emit({ type: "resource", stackName, event, progress: progress.snapshot() });
    },
  });
  emit({ type: "operation-end", stackName, operation, status: outcome.status, progress: progress.snapshot() });
  if (outcome.status !== SUCCESS[operation]) {
    const failures = progress.snapshot().failures;
    const rolledBack = outcome.status === "ROLLBACK_COMPLETE" || outcome.status === "UPDATE_ROLLBACK_COMPLETE";
    const why = rolledBack ? request.retryOnce?.reason(failures) : undefined;
    if (request.retryOnce !== undefined && why !== undefined) {
      if (request.retried === true) throw request.retryOnce.giveUp(stackName, operation, outcome.status, failures, request.targetFlag);
      emit({ type: "note", message: `${why} Trying the ${operation} once more.` });
      // A rolled-back create holds nothing and cannot be updated: it is deleted and created again.
      const rolledBackStack = operation === "create" ? await describeStack(cfn, stackName) : undefined;
      if (rolledBackStack?.StackStatus === "ROLLBACK_COMPLETE") {
        await deleteEmptyStack(request, rolledBackStack);
      }
      // The same changes were confirmed already.
      return deployStack({ ...request, retried: true, confirm: async () => true });
    }
    throw operationFailedError(stackName, operation, outcome.status, failures, request.targetFlag);
  }
  return { stackName, stackId, operation, status: outcome.status, noChanges: false, changes: changeSet.changes };
}

export interface StackDeleteRequest {
  cfn: CloudFormationClient;
  stack: Stack;
  stackName: string;
  /** Resources in the stack (the progress total). */
  resourceCount: number;
  pollMs: number;
  emit: EmitDeployEvent;
  signal?: AbortSignal;
  targetFlag: string;
}

export async function deleteStack(request: StackDeleteRequest): Promise<string> {
  const { cfn, stack, stackName, emit } = request;
  const stackId = stack.StackId ?? stackName;
  const operation: StackOperation = "delete";
  const cursor = new StackEventCursor(cfn, stackId);
  await cursor.skipExisting();
  const progress = new StackProgress(stackName, request.resourceCount);
  emit({ type: "operation-start", stackName, operation, total: request.resourceCount });
  await cfn.send(new DeleteStackCommand({ StackName: stackId }));
  const outcome = await watchStackOperation({
    cfn,
    stackId,
    stackName,
    operation,
    cursor,
    before: stack,
    pollMs: request.pollMs,
    ...(request.signal ? { signal: request.signal } : {}),
    onEvent: (event) => {
      progress.apply(event);
      emit({ type: "resource", stackName, event, progress: progress.snapshot() });
    },
  });
  emit({ type: "operation-end", stackName, operation, status: outcome.status, progress: progress.snapshot() });
  if (outcome.status !== "DELETE_COMPLETE") throw operationFailedError(stackName, "deletion", outcome.status, progress.snapshot().failures, request.targetFlag);
  return outcome.status;
}

export type { Stack };
