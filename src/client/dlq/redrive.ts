/**
 * `wsq dlq redrive` and its companions: SQS's own message move task (StartMessageMoveTask) moves
 * the dead letters back to the stack's queue, and ListMessageMoveTasks reports its progress. The
 * task runs inside SQS; wsq only starts it and watches, so stopping wsq stops nothing.
 */
import {
  CancelMessageMoveTaskCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { WsqError } from "../../shared/errors.js";
import { abortableDelay } from "../../shared/delay.js";
import type { DeadLetterTarget } from "./queues.js";

export interface MoveTask {
  status: string;
  moved: number;
  toMove: number | null;
  taskHandle: string | null;
  sourceArn: string;
  destinationArn: string | null;
  rate: number | null;
  startedAt: number | null;
  failureReason: string | null;
}

export function toMoveTask(entry: ListMessageMoveTasksResultEntry): MoveTask {
  return {
    status: entry.Status ?? "UNKNOWN",
    moved: entry.ApproximateNumberOfMessagesMoved ?? 0,
    toMove: entry.ApproximateNumberOfMessagesToMove ?? null,
    taskHandle: entry.TaskHandle ?? null,
    sourceArn: entry.SourceArn ?? "",
    destinationArn: entry.DestinationArn ?? null,
    rate: entry.MaxNumberOfMessagesPerSecond ?? null,
    startedAt: entry.StartedTimestamp ?? null,
    failureReason: entry.FailureReason ?? null,
  };
}

export function isFinished(task: MoveTask): boolean {
  return task.status !== "RUNNING" && task.status !== "CANCELLING";
}

export async function recentTasks(sqs: SQSClient, dlqArn: string, max = 1): Promise<MoveTask[]> {
  const reply = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: max }));
  return (reply.Results ?? []).map(toMoveTask);
}

/** How to look at, or stop, a task wsq is not following: said whenever wsq lets one run on. */
export function taskCommands(stackFlags: string): string {
  return `\`wsq dlq tasks${stackFlags}\` shows its progress; \`wsq dlq cancel${stackFlags}\` stops it`;
}

/** Starts the move of every dead letter back to the stack's queue. */
export async function startRedrive(sqs: SQSClient, dlq: DeadLetterTarget, options: { rate?: number; stackFlags: string }): Promise<string> {
  try {
    const reply = await sqs.send(
      new StartMessageMoveTaskCommand({
        SourceArn: dlq.dlqArn,
        DestinationArn: dlq.queueArn,
        ...(options.rate !== undefined ? { MaxNumberOfMessagesPerSecond: options.rate } : {}),
      }),
    );
    return reply.TaskHandle ?? "";
  } catch (error) {
    if (/already a task running/i.test((error as Error).message ?? "")) {
      throw new WsqError("REDRIVE_RUNNING", "A redrive of this dead-letter queue is already running; SQS allows one at a time per queue.", {
        hint: `Wait for it to finish: ${taskCommands(options.stackFlags)}.`,
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * Polls ListMessageMoveTasks until the task started at `handle` finishes, or `signal` aborts
 * (then resolves with the last state seen: the task itself carries on inside SQS).
 * `previousStartedAt` is the StartedTimestamp of the queue's most recent task before ours (null if
 * none): a finished task no longer shows its handle, so ours is the most recent one that is not it.
 */
export async function followRedrive(options: {
  sqs: SQSClient;
  dlqArn: string;
  handle: string;
  previousStartedAt: number | null;
  pollMs: number;
  signal: AbortSignal;
  onProgress(task: MoveTask): void;
}): Promise<{ task: MoveTask | null; interrupted: boolean }> {
  let last: MoveTask | null = null;
  while (!options.signal.aborted) {
    const [task] = await recentTasks(options.sqs, options.dlqArn, 1);
    if (task !== undefined && (task.taskHandle === options.handle || task.startedAt !== options.previousStartedAt)) {
      last = task;
      options.onProgress(task);
      if (isFinished(task)) return { task, interrupted: false };
    }
    await abortableDelay(options.pollMs, options.signal);
  }
  return { task: last, interrupted: true };
}

/** Cancels the running task of this DLQ, if there is one. */
export async function cancelRedrive(sqs: SQSClient, dlqArn: string, stackFlags: string): Promise<{ task: MoveTask; movedBeforeCancel: number }> {
  const tasks = await recentTasks(sqs, dlqArn, 10);
  const running = tasks.find((task) => task.status === "RUNNING" && task.taskHandle !== null);
  if (running === undefined) {
    throw new WsqError("NO_REDRIVE_RUNNING", "No redrive of this dead-letter queue is running, so there is nothing to cancel.", {
      hint: `\`wsq dlq tasks${stackFlags}\` lists the recent ones.`,
    });
  }
  const reply = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: running.taskHandle as string }));
  return { task: running, movedBeforeCancel: reply.ApproximateNumberOfMessagesMoved ?? running.moved };
}
