/**
 * Message move tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask): SQS's
 * dead-letter queue redrive, durably. A task is a row in sqs_move_tasks; the mover moves its
 * messages in steps, each step one group-committed transaction that inserts the moved messages into
 * their destination, deletes them from the source and records the task's progress, so a kill -9
 * at any moment loses no message and moves none twice. After a restart every RUNNING task resumes
 * from its stored cursor: on AWS a task is the service's own asynchronous job, which runs until
 * it has moved its messages, is cancelled, fails, or reaches 36 hours; no client holds it, and a
 * restart of an SQS host is invisible to it, so the local cloud does not let its own restart end
 * one either. (The 36 hours count from StartedTimestamp, downtime included.)
 *
 * One timer serves every task, armed at the earliest moment any of them has work (its next rate
 * slot, or a skipped message becoming visible); never a timer per message. The rules live in
 * move-task-rules.ts; this file applies them to the store.
 */
import { randomUUID } from "node:crypto";
import type * as sqs from "@aws-sdk/client-sqs";
import type { LocalContext } from "../context.js";
import { isAwsServiceError } from "../aws-error.js";
import { sqsErrors } from "./errors.js";
import * as limits from "./limits.js";
import type { GroupCommitter } from "./group-commit.js";
import type { MessageRow, SqsStore } from "./store.js";
import { intAttribute, type QueueAttributes } from "./queue-attributes.js";
import { checkIntegerParameter } from "./message-rules.js";
import type { StoredAttributes } from "./md5.js";
import { MoveTaskStore, type MoveTaskRow } from "./move-task-store.js";
import {
  DEFAULT_LIST_RESULTS,
  MAX_ACTIVE_TASKS,
  MAX_LIST_RESULTS,
  MAX_MOVE_RATE,
  MAX_TASK_DURATION_MS,
  MIN_MOVE_RATE,
  QUEUE_GONE_REASON,
  SYSTEM_OPTIMISED_RATE,
  canCancel,
  decodeTaskHandle,
  dueSlot,
  encodeTaskHandle,
  initialPlanState,
  isActive,
  parseArn,
  planMoves,
  resultEntry,
  slotQuota,
  type PlanState,
} from "./move-task-rules.js";

/** What the mover needs of a queue. */
export interface MoveQueueView {
  name: string;
  fifo: boolean;
  attributes: QueueAttributes;
}

/** The SQS service as the mover sees it (service.ts passes closures over its own state). */
export interface MoveTaskHost {
  ctx: LocalContext;
  store: SqsStore;
  committer: GroupCommitter;
  queue(name: string): MoveQueueView | undefined;
  queueArn(name: string): string;
  /** Whether some queue's RedrivePolicy names this ARN as its dead-letter queue. */
  isDeadLetterQueue(arn: string): boolean;
  /** Inside a transaction: wakes the queue's long-pollers after the commit. */
  markChanged(queue: string): void;
}

/** The mover's timer, injectable so unit tests drive steps themselves. */
export interface MoveTimer {
  set(run: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

const realTimer: MoveTimer = {
  set: (run, delayMs) => {
    const handle = setTimeout(run, delayMs);
    // The HTTP server keeps the process alive; the mover alone must not.
    handle.unref();
    return handle;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Messages read per page while a step scans the source. */
const PAGE = 256;
/** A step reads at most this many messages, so a source full of in-flight messages cannot stall the event loop. */
const MAX_SCAN_PER_STEP = 4096;
/**
 * While only in-flight or delayed messages are left, look again at least this often: a message
 * released early (ChangeMessageVisibility 0) need not wait for its old deadline.
 */
const BLOCKED_RECHECK_MS = 1000;
/** After a step failed to commit (the database refused), try again after this long. */
const RETRY_AFTER_ERROR_MS = 1000;
const ARN_FORMAT = (parameter: string) => `You must use this format to specify the ${parameter}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>`;

interface Schedule {
  /** When the task's rate schedule began (its start, or the local cloud's restart). */
  origin: number;
  lastSlot: number;
  wakeAt: number;
}

export class MoveTasks {
  private readonly tasks: MoveTaskStore;
  private readonly schedules = new Map<string, Schedule>();
  private timerHandle: unknown;
  private timerAt = Infinity;
  private closed = false;

  constructor(
    private readonly host: MoveTaskHost,
    private readonly timer: MoveTimer = realTimer,
  ) {
    this.tasks = new MoveTaskStore(host.ctx.db);
    // Tasks that were running when the local cloud stopped (or was killed) carry on.
    const now = host.ctx.clock.now();
    for (const task of this.tasks.active()) this.schedules.set(task.task_id, { origin: now, lastSlot: -1, wakeAt: now });
    this.arm();
  }

  close(): void {
    this.closed = true;
    if (this.timerHandle !== undefined) this.timer.clear(this.timerHandle);
    this.timerHandle = undefined;
  }

  // ---------------------------------------------------------------- the three actions
  async start(input: sqs.StartMessageMoveTaskRequest): Promise<sqs.StartMessageMoveTaskResult> {
    const source = this.queueFromArn(input.SourceArn, "SourceArn");
    const rate = checkIntegerParameter(
      "MaxNumberOfMessagesPerSecond",
      input.MaxNumberOfMessagesPerSecond,
      MIN_MOVE_RATE,
      MAX_MOVE_RATE,
      `Must be between ${MIN_MOVE_RATE} and ${MAX_MOVE_RATE}, if provided.`,
    );
    const sourceArn = this.host.queueArn(source.name);
    if (!this.host.isDeadLetterQueue(sourceArn)) throw sqsErrors.invalidParameterValue("Source queue must be configured as a Dead Letter Queue.");
    let destinationArn: string | null = null;
    if (input.DestinationArn !== undefined && input.DestinationArn !== null && input.DestinationArn !== "") {
      const destination = this.queueFromArn(input.DestinationArn, "DestinationArn");
      if (destination.name === source.name) throw sqsErrors.invalidParameterValue("Source queue arn and destination queue arn cannot be the same.");
      // The redrive destination must be of the DLQ's type (DLQ redrive guide).
      if (destination.fifo !== source.fifo) throw sqsErrors.invalidParameterValue("The source queue and destination queue must be of the same queue type.");
      destinationArn = this.host.queueArn(destination.name);
    }
    const result = await this.host.committer.submit(() => {
      const now = this.host.ctx.clock.now();
      if (this.host.queue(source.name) === undefined) throw this.notFound("SourceArn");
      const active = this.tasks.active();
      if (active.some((task) => task.source_queue === source.name)) {
        throw sqsErrors.invalidParameterValue("There is already a task running. Only one active task is allowed for a source queue arn at a given time.");
      }
      if (active.length >= MAX_ACTIVE_TASKS) {
        throw sqsErrors.overLimit(`There can be at most ${MAX_ACTIVE_TASKS} active message move tasks per account; wait for one to finish or cancel one.`);
      }
      const taskId = randomUUID();
      const snapshot = this.tasks.snapshot(source.name, now);
      this.tasks.insert({
        task_id: taskId,
        source_queue: source.name,
        source_arn: sourceArn,
        destination_arn: destinationArn,
        rate: rate ?? null,
        status: "RUNNING",
        moved: 0,
        to_move: snapshot.count,
        watermark: snapshot.watermark,
        cursor: 0,
        started_at: now,
        finished_at: null,
        failure_reason: null,
      });
      this.host.committer.afterCommit(() => this.schedules.set(taskId, { origin: now, lastSlot: -1, wakeAt: now }));
      return { TaskHandle: encodeTaskHandle(taskId, sourceArn) };
    });
    this.arm();
    return result;
  }

  async list(input: sqs.ListMessageMoveTasksRequest): Promise<sqs.ListMessageMoveTasksResult> {
    const source = this.queueFromArn(input.SourceArn, "SourceArn");
    const max =
      checkIntegerParameter("MaxResults", input.MaxResults, 1, MAX_LIST_RESULTS, `Must be between 1 and ${MAX_LIST_RESULTS}, if provided.`) ??
      DEFAULT_LIST_RESULTS;
    // Most recent first: with the default MaxResults of 1 the answer is "the most recent task".
    return { Results: this.tasks.recent(source.name, max).map((task) => resultEntry(task)) };
  }

  async cancel(input: sqs.CancelMessageMoveTaskRequest): Promise<sqs.CancelMessageMoveTaskResult> {
    if (input.TaskHandle === undefined || input.TaskHandle === null || input.TaskHandle === "") throw sqsErrors.missingParameter("TaskHandle");
    const handle = decodeTaskHandle(String(input.TaskHandle));
    if (handle === undefined) throw sqsErrors.invalidParameterValue("Value for parameter TaskHandle is invalid.");
    const source = this.queueFromArn(handle.sourceArn, "SourceArn", true);
    const result = await this.host.committer.submit(() => {
      const task = this.tasks.get(handle.taskId);
      if (task === undefined || task.source_queue !== source.name) throw sqsErrors.resourceNotFound("Task does not exist.");
      if (!canCancel(task.status)) {
        // AWS documents that only a RUNNING task can be cancelled, not the error; see docs/sqs.md.
        throw sqsErrors.unsupportedOperation(`Only a message move task in RUNNING status can be cancelled; this task is ${task.status}.`);
      }
      this.tasks.setStatus(task.task_id, "CANCELLING");
      const schedule = this.schedules.get(task.task_id);
      if (schedule !== undefined) this.host.committer.afterCommit(() => (schedule.wakeAt = this.host.ctx.clock.now()));
      return { ApproximateNumberOfMessagesMoved: task.moved };
    });
    this.arm();
    return result;
  }

  /** Inside DeleteQueue's transaction: a deleted queue's tasks go with it (ListMessageMoveTasks cannot name it any more). */
  queueDeleted(name: string): void {
    for (const task of this.tasks.active()) if (task.source_queue === name) this.schedules.delete(task.task_id);
    this.tasks.dropSource(name);
  }

  // ---------------------------------------------------------------- ARNs
  private notFound(parameter: string) {
    return sqsErrors.resourceNotFound(`The resource that you specified for the ${parameter} parameter doesn't exist.`);
  }

  /** A queue of this account and region named by an ARN; AWS's errors for a malformed or unknown one. */
  private queueFromArn(arn: string | undefined, parameter: string, fromHandle = false): MoveQueueView {
    if (arn === undefined || arn === null || arn === "") throw sqsErrors.missingParameter(parameter);
    const parsed = parseArn(arn);
    if (parsed === undefined) {
      if (fromHandle) throw sqsErrors.invalidParameterValue("Value for parameter TaskHandle is invalid.");
      throw sqsErrors.invalidParameterValue(ARN_FORMAT(parameter));
    }
    const { ctx } = this.host;
    const queue = parsed.service === "sqs" && parsed.region === ctx.region && parsed.account === ctx.accountId ? this.host.queue(parsed.resource) : undefined;
    if (queue === undefined) throw this.notFound(parameter);
    return queue;
  }

  private queueOfArn(arn: string): MoveQueueView | undefined {
    const parsed = parseArn(arn);
    const { ctx } = this.host;
    if (parsed === undefined || parsed.service !== "sqs" || parsed.region !== ctx.region || parsed.account !== ctx.accountId) return undefined;
    return this.host.queue(parsed.resource);
  }

  // ---------------------------------------------------------------- the mover
  /** Arms the one timer at the earliest moment a task has work. */
  private arm(): void {
    if (this.closed) return;
    let at = Infinity;
    for (const schedule of this.schedules.values()) at = Math.min(at, schedule.wakeAt);
    if (at === Infinity) {
      if (this.timerHandle !== undefined) this.timer.clear(this.timerHandle);
      this.timerHandle = undefined;
      this.timerAt = Infinity;
      return;
    }
    if (this.timerHandle !== undefined && this.timerAt <= at) return;
    if (this.timerHandle !== undefined) this.timer.clear(this.timerHandle);
    this.timerAt = at;
    this.timerHandle = this.timer.set(
      () => {
        this.timerHandle = undefined;
        this.timerAt = Infinity;
        void this.runDue();
      },
      Math.max(0, at - this.host.ctx.clock.now()),
    );
  }

  /** Runs one step of every task that has work now, in one transaction, then re-arms the timer. */
  async runDue(): Promise<void> {
    if (this.closed || this.schedules.size === 0) return;
    try {
      await this.host.committer.submit(() => this.step(this.host.ctx.clock.now()));
    } catch (error) {
      if (this.closed) return;
      this.host.ctx.log.log("error", "SQS message move step failed; retrying", { error: isAwsServiceError(error) ? error.message : String(error) });
      // Nothing of the step was kept: every task (even one the step had finished) runs again.
      const retryAt = this.host.ctx.clock.now() + RETRY_AFTER_ERROR_MS;
      for (const schedule of this.schedules.values()) schedule.wakeAt = retryAt;
    }
    this.arm();
  }

  /** Inside a transaction: one step of each task whose time has come. */
  private step(now: number): void {
    for (const [taskId, schedule] of [...this.schedules]) {
      if (schedule.wakeAt > now) continue;
      const task = this.tasks.get(taskId);
      if (task === undefined || !isActive(task.status)) {
        this.schedules.delete(taskId);
        continue;
      }
      const outcome = this.stepTask(task, schedule, now);
      if (outcome !== "running") {
        this.tasks.finish(taskId, outcome.status, outcome.reason, now);
        // Only forget the schedule once the outcome is committed; a rolled-back step runs again.
        this.host.committer.afterCommit(() => this.schedules.delete(taskId));
        schedule.wakeAt = Infinity;
      }
    }
  }

  private stepTask(task: MoveTaskRow, schedule: Schedule, now: number): "running" | { status: "COMPLETED" | "CANCELLED" | "FAILED"; reason: string | null } {
    if (task.status === "CANCELLING") return { status: "CANCELLED", reason: null };
    const source = this.host.queue(task.source_queue);
    if (source === undefined) return { status: "FAILED", reason: QUEUE_GONE_REASON };
    if (now - task.started_at >= MAX_TASK_DURATION_MS) {
      return { status: "FAILED", reason: "The message move task reached the maximum duration of 36 hours." };
    }
    const rate = task.rate ?? SYSTEM_OPTIMISED_RATE;
    const due = dueSlot(rate, schedule.origin, schedule.lastSlot, now);
    if (!due.due) {
      schedule.wakeAt = due.at;
      return "running";
    }
    schedule.lastSlot = due.slot;
    const budget = slotQuota(rate, due.slot);

    let state: PlanState = initialPlanState(task.cursor, source.fifo ? this.host.store.inflightGroups(source.name, now) : new Set());
    let moved = task.moved;
    let movedNow = 0;
    let after = task.cursor;
    let scanned = 0;
    let reachedEnd = false;
    while (movedNow < budget && scanned < MAX_SCAN_PER_STEP) {
      const rows = this.tasks.messagesAfter(source.name, after, task.watermark, PAGE);
      scanned += rows.length;
      const plan = planMoves(rows, state, { fifo: source.fifo, now, budget: budget - movedNow });
      state = plan.state;
      for (const row of plan.move) {
        const failure = this.moveOne(task, source, row, now);
        if (failure !== undefined) {
          // The moves before this one stand (they commit with the step); the cursor stays put.
          this.tasks.progress(task.task_id, moved, task.cursor);
          return { status: "FAILED", reason: failure };
        }
        moved += 1;
        movedNow += 1;
      }
      if (rows.length < PAGE) {
        reachedEnd = true;
        break;
      }
      after = (rows[rows.length - 1] as MessageRow).seq;
    }
    this.tasks.progress(task.task_id, moved, state.cursor);
    if (reachedEnd && !state.pending) return { status: "COMPLETED", reason: null };
    const nextSlot = dueSlot(rate, schedule.origin, schedule.lastSlot, now).at;
    // Over budget (or scan cap): the next slot. Only waiting messages left: when the first may be visible.
    const onlyWaiting = movedNow < budget && reachedEnd;
    schedule.wakeAt = onlyWaiting ? Math.max(nextSlot, Math.min(state.wakeAt ?? Infinity, now + BLOCKED_RECHECK_MS)) : nextSlot;
    return "running";
  }

  /**
   * Inside the step's transaction: `row` leaves the source and enters its destination as a new
   * message (new id, new enqueue time, retention from now, never received: the redrive guide),
   * with its body, attributes, group and deduplication id. Returns a FailureReason when it cannot.
   */
  private moveOne(task: MoveTaskRow, source: MoveQueueView, row: MessageRow, now: number): string | undefined {
    const destinationArn = task.destination_arn ?? row.dlq_source_arn;
    const destination = destinationArn === null ? undefined : this.queueOfArn(destinationArn);
    if (destination === undefined) return QUEUE_GONE_REASON;
    const maxSize = intAttribute(destination.attributes, "MaximumMessageSize", limits.DEFAULT_MAX_MESSAGE_SIZE);
    if (messageSize(row) > maxSize) return "InvalidParameterValue";
    const store = this.host.store;
    if (destination.fifo) {
      const dedupId = row.dedup_id ?? row.message_id;
      const scope = destination.attributes.DeduplicationScope === "messageGroup" ? (row.group_id ?? "") : "";
      // A redriven message is a new send to the destination, deduplicated like one.
      if (store.findDedup(destination.name, scope, dedupId, now) === undefined) {
        const messageId = randomUUID();
        const seq = this.insertInto(destination, row, messageId, dedupId, now);
        store.putDedup(destination.name, scope, dedupId, messageId, seq, now + limits.DEDUP_WINDOW_MS);
      }
    } else {
      this.insertInto(destination, row, randomUUID(), null, now);
    }
    store.deleteMessage(row, source.fifo);
    this.host.markChanged(destination.name);
    this.host.markChanged(source.name);
    return undefined;
  }

  private insertInto(destination: MoveQueueView, row: MessageRow, messageId: string, dedupId: string | null, now: number): number {
    const delay = intAttribute(destination.attributes, "DelaySeconds", 0);
    const retention = intAttribute(destination.attributes, "MessageRetentionPeriod", limits.DEFAULT_RETENTION_SECONDS);
    return this.host.store.insertMessage({
      queue: destination.name,
      message_id: messageId,
      body: row.body,
      attributes: row.attributes,
      system_attributes: row.system_attributes,
      md5_body: row.md5_body,
      md5_attributes: row.md5_attributes,
      group_id: destination.fifo ? row.group_id : null,
      dedup_id: dedupId,
      sender_id: row.sender_id,
      sent_at: now,
      visible_at: now + delay * limits.SECONDS,
      expires_at: now + retention * limits.SECONDS,
      dlq_source_arn: null,
    });
  }
}

/** The size MaximumMessageSize limits: body plus attribute names, types and values (as on send). */
function messageSize(row: MessageRow): number {
  let size = Buffer.byteLength(row.body, "utf8");
  if (row.attributes !== null) {
    for (const [name, value] of Object.entries(JSON.parse(row.attributes) as StoredAttributes)) {
      size += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value.DataType, "utf8");
      size += value.BinaryValue !== undefined ? Buffer.from(value.BinaryValue, "base64").length : Buffer.byteLength(value.StringValue ?? "", "utf8");
    }
  }
  return size;
}
