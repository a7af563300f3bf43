/**
 * What `wsq dlq ...` does once it runs (registered in commands/dlq.ts, imported only then): finds the
 * stack's queues, calls SQS (and CloudWatch Logs for list), renders text or JSON, sets the exit code.
 */
import { SQSClient, PurgeQueueCommand } from "@aws-sdk/client-sqs";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { LambdaClient } from "@aws-sdk/client-lambda";
import type { CommandContext } from "../program.js";
import type { CliIo } from "../output/io.js";
import type { DlqFlags } from "../commands/dlq.js";
import { createProgress } from "../output/spinner.js";
import { abortOn } from "../interrupt.js";
import { ask, canPrompt } from "../output/prompt.js";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { clientConfig, type Target } from "../../shared/target.js";
import { findStackOutputs } from "../../deploy/stack-outputs.js";
import { DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import { prepareTarget } from "../../deploy/prepare-target.js";
import { findDeadLetterTarget, queueDepth, queueName, type DeadLetterTarget } from "../../client/dlq/queues.js";
import { peekDeadLetters, type DeadLetter } from "../../client/dlq/peek.js";
import { findFailureLogs, functionLogGroupName, type FailureLog, type FailureSearch } from "../../client/dlq/failure-logs.js";
import { cancelRedrive, followRedrive, recentTasks, startRedrive, taskCommands, type MoveTask } from "../../client/dlq/redrive.js";

interface Opened {
  target: Target;
  sqs: SQSClient;
  dlq: DeadLetterTarget;
  /** ` --stack-name X --target aws` as the flags given, for the commands named in messages. */
  stackFlags: string;
}

/** Finds the stack's dead-letter queue and runs `work` with a client for it, destroyed afterwards. */
async function withDlq(flags: DlqFlags, env: NodeJS.ProcessEnv, work: (opened: Opened) => Promise<void>): Promise<void> {
  const target = await prepareTarget(flags, { start: false }, env);
  const stackName = flags.stackName ?? DEFAULT_STACK_NAME;
  const outputs = await findStackOutputs(target, stackName, env);
  const sqs = new SQSClient(clientConfig(target));
  try {
    const dlq = await findDeadLetterTarget(sqs, stackName, outputs);
    const stackFlags = `${stackName === DEFAULT_STACK_NAME ? "" : ` --stack-name ${stackName}`}${target.kind === "aws" ? " --target aws" : ""}`;
    await work({ target, sqs, dlq, stackFlags });
  } finally {
    sqs.destroy();
  }
}

/** `2h 05m`, `3m 12s`, `45s`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86_400)}d ${String(Math.floor((s % 86_400) / 3600)).padStart(2, "0")}h`;
}

function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** The body on one line, cut to `width` characters. */
export function preview(body: string, width: number): string {
  const line = body.replace(/\s*[\r\n]+\s*/g, " ");
  return line.length <= width ? line : `${line.slice(0, Math.max(1, width - 1))}…`;
}

async function confirm(io: CliIo, flags: DlqFlags, question: string, what: string, context: CommandContext): Promise<void> {
  if (flags.yes) return;
  if (!canPrompt(io)) {
    throw new WsqError("CONFIRMATION_REQUIRED", `Not going to ${what} without confirmation: there is no terminal to ask on.`, {
      hint: "Run the command again with --yes.",
      exitCode: ExitCode.usage,
    });
  }
  let interrupted = false;
  void context.interrupted.then(() => (interrupted = true));
  const answer = await ask(io, `${question} [y/N] `, context.interrupted);
  if (interrupted) throw new WsqError("INTERRUPTED", "Interrupted; nothing was done.", { exitCode: ExitCode.interrupted });
  if (!/^y(es)?$/i.test(answer)) throw new WsqError("CANCELLED", "Cancelled; nothing was done.");
}

// ---------------------------------------------------------------- list
interface ListedDeadLetter extends DeadLetter {
  ageSeconds: number;
  failure: FailureLog | null;
}

const LIST_EFFECT = "each message was received once (its ApproximateReceiveCount went up by one) and handed back at once; none was deleted, moved or reordered";

async function searchFailures(target: Target, dlq: DeadLetterTarget, messages: readonly DeadLetter[], signal: AbortSignal): Promise<FailureSearch> {
  const lambda = new LambdaClient(clientConfig(target));
  const logs = new CloudWatchLogsClient(clientConfig(target));
  try {
    const logGroupName = await functionLogGroupName(lambda, dlq.functionName);
    // The failures happened before the move to the DLQ: at most maxReceiveCount deliveries, one
    // visibility timeout apart, before the earliest of these messages was sent or first received.
    const lookbackMs = ((dlq.maxReceiveCount ?? 5) + 1) * dlq.visibilityTimeoutSeconds * 1000 + 60_000;
    const earliest = Math.min(...messages.map((m) => Math.min(m.sentTimestamp, m.firstReceiveTimestamp ?? m.sentTimestamp)));
    return await findFailureLogs({ logs, logGroupName, messageIds: new Set(messages.map((m) => m.messageId)), startTime: earliest - lookbackMs, signal });
  } finally {
    lambda.destroy();
    logs.destroy();
  }
}

export async function runDlqList(flags: DlqFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  await withDlq(flags, io.env, async ({ target, sqs, dlq, stackFlags }) => {
    const signal = abortOn(context.interrupted);
    if (dlq.dlqRedrivesTo !== undefined) {
      throw new WsqError(
        "DLQ_HAS_REDRIVE_POLICY",
        `The dead-letter queue ${queueName(dlq.dlqUrl)} has a RedrivePolicy of its own: the receives a listing makes could move its messages on to ${dlq.dlqRedrivesTo}.`,
        { hint: "Remove the DLQ's RedrivePolicy, or inspect it in the SQS console." },
      );
    }
    const progress = createProgress(io, { json: flags.json === true, initial: "Reading the dead-letter queue…" });
    let peek;
    let search: FailureSearch | null = null;
    try {
      peek = await peekDeadLetters(sqs, dlq.dlqUrl, { limit: flags.limit ?? 100, signal });
      if (peek.messages.length > 0 && !signal.aborted) {
        progress.update("Looking for the handler's errors in the function's logs…");
        search = await searchFailures(target, dlq, peek.messages, signal);
      }
    } finally {
      progress.stop();
    }
    const now = Date.now();
    const listed: ListedDeadLetter[] = peek.messages.map((m) => ({
      ...m,
      ageSeconds: Math.max(0, Math.floor((now - m.sentTimestamp) / 1000)),
      failure: search?.found.get(m.messageId) ?? null,
    }));
    const depthTotal = peek.depth.visible + peek.depth.inFlight;
    const limit = flags.limit ?? 100;
    const reasons: string[] = [];
    if (!peek.complete) {
      if (listed.length >= limit) reasons.push(`--limit ${limit} reached`);
      if (peek.depth.inFlight > 0) reasons.push(`${peek.depth.inFlight} in flight (received by another reader) cannot be read until they are visible again`);
      if (dlq.fifo && listed.length < limit) {
        reasons.push("a FIFO receive shows at most 10 messages of a group and nothing more of it while they are out, so later messages of a group stay hidden");
      }
    }
    if (!peek.complete && reasons.length === 0) reasons.push("the queue changed while it was being read");
    const hiddenReason = reasons.length > 0 ? reasons.join("; ") : null;
    if (flags.json) {
      io.out(
        JSON.stringify(
          {
            stackName: dlq.stackName,
            deadLetterQueueUrl: dlq.dlqUrl,
            queueUrl: dlq.queueUrl,
            depth: peek.depth,
            shown: listed.length,
            complete: peek.complete,
            hiddenReason,
            messages: listed,
            logs: { logGroupName: search?.logGroupName ?? null, searched: search !== null, problem: search?.problem ?? null },
            effect: LIST_EFFECT,
            releaseProblem: peek.releaseProblem,
          },
          null,
          2,
        ),
      );
    } else {
      renderList(io, dlq, listed, depthTotal, stackFlags);
      if (listed.length > 0) io.err(io.color.dim(`Listing: ${LIST_EFFECT}.`));
      if (hiddenReason !== null && listed.length > 0) io.err(io.color.yellow(`Showing ${listed.length} of ${depthTotal}: ${hiddenReason}.`));
      if (search?.problem) io.err(io.color.yellow(`Handler errors: ${search.problem}.`));
    }
    if (peek.releaseProblem) io.err(io.color.yellow(`Warning: ${peek.releaseProblem}.`));
    if (signal.aborted) context.setExitCode(ExitCode.interrupted);
  });
}

function renderList(io: CliIo, dlq: DeadLetterTarget, listed: readonly ListedDeadLetter[], depthTotal: number, stackFlags: string): void {
  const c = io.stdoutColor;
  const width = Math.max(40, (io.stdout.columns ?? 100) - 8);
  if (depthTotal === 0 && listed.length === 0) {
    io.out(`The dead-letter queue ${c.bold(queueName(dlq.dlqUrl))} is empty.`);
    return;
  }
  io.out(`Dead-letter queue ${c.bold(queueName(dlq.dlqUrl))}: ${depthTotal} message${depthTotal === 1 ? "" : "s"}`);
  const number = String(listed.length).length;
  listed.forEach((m, index) => {
    const age = dlq.fifo ? `in the DLQ ${formatAge(m.ageSeconds * 1000)}` : `sent ${formatAge(m.ageSeconds * 1000)} ago`;
    const facts = [m.group !== null ? `group ${m.group}` : undefined, `received ${m.receiveCount}×`, age, formatBytes(m.sizeBytes)].filter(Boolean).join("  ");
    const pad = " ".repeat(number + 2);
    io.out("");
    io.out(`${String(index + 1).padStart(number)}  ${c.bold(m.messageId)}  ${c.dim(facts)}`);
    io.out(`${pad}${preview(m.body, width)}`);
    if (m.failure !== null) {
      const text = m.failure.error !== null ? `${m.failure.message}: ${m.failure.error}` : m.failure.message;
      io.out(`${pad}${c.red("error")} ${preview(text, width - 6)} ${c.dim(`(${new Date(m.failure.timestamp).toISOString().slice(11, 19)})`)}`);
    } else {
      io.out(`${pad}${c.dim("error  none logged for this message id (it may have failed behind an earlier message of its group, or by timeout)")}`);
    }
  });
  io.out("");
  io.out(c.dim(`Next: wsq dlq redrive${stackFlags}   ·   wsq dlq purge${stackFlags}`));
}

// ---------------------------------------------------------------- redrive
export async function runDlqRedrive(flags: DlqFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  await withDlq(flags, io.env, async ({ target, sqs, dlq, stackFlags }) => {
    const json = flags.json === true;
    const signal = abortOn(context.interrupted);
    const depth = await queueDepth(sqs, dlq.dlqUrl);
    const total = depth.visible + depth.inFlight;
    if (total === 0) {
      throw new WsqError("DLQ_EMPTY", `The dead-letter queue ${queueName(dlq.dlqUrl)} is empty: there is nothing to redrive.`, {
        hint: "Messages land there after MaxReceiveCount failed deliveries; `wsq dlq list` shows what is there.",
      });
    }
    const [previous] = await recentTasks(sqs, dlq.dlqArn, 1);
    if (previous !== undefined && (previous.status === "RUNNING" || previous.status === "CANCELLING")) {
      throw new WsqError("REDRIVE_RUNNING", "A redrive of this dead-letter queue is already running; SQS allows one at a time per queue.", {
        hint: `Wait for it to finish: ${taskCommands(stackFlags)}.`,
      });
    }
    const rateText = flags.rate !== undefined ? ` at most ${flags.rate} a second` : "";
    await confirm(
      io,
      flags,
      `Move ${total} dead letter${total === 1 ? "" : "s"} from ${io.color.bold(queueName(dlq.dlqUrl))} back to ${io.color.bold(queueName(dlq.queueUrl))}${rateText}?`,
      "redrive the dead-letter queue",
      context,
    );
    if (signal.aborted) {
      context.setExitCode(ExitCode.interrupted);
      return;
    }
    const startedAt = Date.now();
    const handle = await startRedrive(sqs, dlq, { ...(flags.rate !== undefined ? { rate: flags.rate } : {}), stackFlags });
    const progress = createProgress(io, { initial: `Redriving ${total} dead letter${total === 1 ? "" : "s"}…` });
    let lastMoved = -1;
    const followed = await followRedrive({
      sqs,
      dlqArn: dlq.dlqArn,
      handle,
      previousStartedAt: previous?.startedAt ?? null,
      pollMs: target.kind === "local" ? 200 : 2_000,
      signal,
      onProgress: (task) => {
        if (task.moved === lastMoved) return;
        lastMoved = task.moved;
        progress.update(`Redriving: ${task.moved} of ${task.toMove ?? total} moved back to ${queueName(dlq.queueUrl)} (${task.status})`);
      },
    });
    const task = followed.task;
    const after = await queueDepth(sqs, dlq.dlqUrl).catch(() => null);
    const remaining = after === null ? null : after.visible + after.inFlight;
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    if (followed.interrupted) {
      progress.stop();
      io.err(`Stopped following. The redrive keeps running inside SQS (${task?.moved ?? 0} moved so far): ${taskCommands(stackFlags)}.`);
    } else if (task?.status === "COMPLETED") {
      progress.succeed(`Moved ${task.moved} dead letter${task.moved === 1 ? "" : "s"} back to ${queueName(dlq.queueUrl)} in ${seconds} s.`);
      if (remaining !== null && remaining > 0 && !json) {
        io.err(
          io.color.yellow(
            `${remaining} message${remaining === 1 ? "" : "s"} remain in the dead-letter queue: they arrived after the redrive started, or were in flight. Run \`wsq dlq redrive${stackFlags}\` again for them.`,
          ),
        );
      }
    } else {
      progress.fail(`The redrive ended ${task?.status ?? "UNKNOWN"} after moving ${task?.moved ?? 0}.`);
    }
    if (json) {
      io.out(
        JSON.stringify(
          {
            stackName: dlq.stackName,
            source: dlq.dlqArn,
            destination: dlq.queueArn,
            taskHandle: handle,
            status: task?.status ?? null,
            moved: task?.moved ?? 0,
            toMove: task?.toMove ?? total,
            rate: flags.rate ?? null,
            failureReason: task?.failureReason ?? null,
            remainingInDeadLetterQueue: remaining,
            interrupted: followed.interrupted,
          },
          null,
          2,
        ),
      );
    }
    if (followed.interrupted) context.setExitCode(ExitCode.interrupted);
    else if (task?.status === "FAILED") {
      throw new WsqError("REDRIVE_FAILED", `SQS stopped the redrive: ${task.failureReason ?? "no reason given"}.`, {
        hint: `Messages not moved are still in the dead-letter queue. Check the queue with \`wsq status${stackFlags}\` (a deleted or changed queue fails a redrive), then run \`wsq dlq redrive${stackFlags}\` again.`,
      });
    } else if (task?.status !== "COMPLETED") {
      throw new WsqError(
        "REDRIVE_CANCELLED",
        `The redrive was ${task?.status === "CANCELLED" ? "cancelled" : `left ${task?.status ?? "unknown"}`} after moving ${task?.moved ?? 0}.`,
        {
          hint: `Messages not moved are still in the dead-letter queue; \`wsq dlq redrive${stackFlags}\` starts a new one.`,
        },
      );
    }
  });
}

// ---------------------------------------------------------------- purge
export async function runDlqPurge(flags: DlqFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  await withDlq(flags, io.env, async ({ sqs, dlq, stackFlags }) => {
    const depth = await queueDepth(sqs, dlq.dlqUrl);
    const total = depth.visible + depth.inFlight;
    if (total === 0) {
      if (flags.json) io.out(JSON.stringify({ stackName: dlq.stackName, deadLetterQueueUrl: dlq.dlqUrl, purged: false, messages: 0 }, null, 2));
      else io.out(`The dead-letter queue ${queueName(dlq.dlqUrl)} is already empty; nothing to purge.`);
      return;
    }
    const [latest] = await recentTasks(sqs, dlq.dlqArn, 1);
    if (latest !== undefined && (latest.status === "RUNNING" || latest.status === "CANCELLING")) {
      throw new WsqError("REDRIVE_RUNNING", "A redrive of this dead-letter queue is running; purging now would delete the messages it has yet to move.", {
        hint: `Wait for it, or stop it first: ${taskCommands(stackFlags)}.`,
      });
    }
    await confirm(
      io,
      flags,
      `Delete all ${total} message${total === 1 ? "" : "s"} in ${io.color.bold(queueName(dlq.dlqUrl))}? This cannot be undone.`,
      "purge the dead-letter queue",
      context,
    );
    try {
      await sqs.send(new PurgeQueueCommand({ QueueUrl: dlq.dlqUrl }));
    } catch (error) {
      if ((error as { name?: string }).name === "PurgeQueueInProgress") {
        throw new WsqError("PURGE_IN_PROGRESS", "This dead-letter queue was purged less than 60 seconds ago; SQS allows one purge a minute.", {
          hint: "Wait a minute and run the command again.",
          cause: error,
        });
      }
      throw error;
    }
    if (flags.json) io.out(JSON.stringify({ stackName: dlq.stackName, deadLetterQueueUrl: dlq.dlqUrl, purged: true, messages: total }, null, 2));
    else io.out(`Purged ${total} message${total === 1 ? "" : "s"} from ${queueName(dlq.dlqUrl)} (on AWS the deletion can take up to 60 seconds).`);
  });
}

// ---------------------------------------------------------------- tasks, cancel
function describeTask(task: MoveTask): string {
  const started = task.startedAt !== null ? new Date(task.startedAt).toISOString().replace("T", " ").slice(0, 19) : "?";
  const parts = [`${started}  ${task.status.padEnd(10)}  ${task.moved} of ${task.toMove ?? "?"} moved`];
  if (task.rate !== null) parts.push(`at most ${task.rate}/s`);
  if (task.failureReason !== null) parts.push(`reason: ${task.failureReason}`);
  return parts.join("  ");
}

export async function runDlqTasks(flags: DlqFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  await withDlq(flags, io.env, async ({ sqs, dlq, stackFlags }) => {
    const tasks = await recentTasks(sqs, dlq.dlqArn, 10);
    if (flags.json) {
      io.out(JSON.stringify({ stackName: dlq.stackName, deadLetterQueueUrl: dlq.dlqUrl, tasks }, null, 2));
      return;
    }
    if (tasks.length === 0) {
      io.out(`No redrive of ${queueName(dlq.dlqUrl)} yet. Start one with \`wsq dlq redrive${stackFlags}\`.`);
      return;
    }
    io.out(`Redrives of ${io.stdoutColor.bold(queueName(dlq.dlqUrl))}, most recent first (times in UTC):`);
    for (const task of tasks) io.out(`  ${describeTask(task)}`);
  });
}

export async function runDlqCancel(flags: DlqFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  await withDlq(flags, io.env, async ({ sqs, dlq, stackFlags }) => {
    const { task, movedBeforeCancel } = await cancelRedrive(sqs, dlq.dlqArn, stackFlags);
    if (flags.json) io.out(JSON.stringify({ stackName: dlq.stackName, cancelled: true, movedBeforeCancel, task }, null, 2));
    else
      io.out(
        `Cancelled the redrive of ${queueName(dlq.dlqUrl)}: ${movedBeforeCancel} message(s) had moved and stay moved; the rest stay in the dead-letter queue.`,
      );
  });
}
