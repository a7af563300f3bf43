/**
 * The pure rules of SQS message move tasks (DLQ redrive): task handles, the rate schedule, which
 * messages a step may move, and the status transitions. No database, no clock of its own.
 *
 * Sources (checked 2026-12):
 * - API reference: StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask,
 *   ListMessageMoveTasksResultEntry (MaxNumberOfMessagesPerSecond at most 500; MaxResults 1-10,
 *   default 1; cancel only a RUNNING task; one active task per source queue).
 * - SQS developer guide, "Learn how to configure a dead-letter queue redrive": messages are
 *   redriven oldest first; a redriven message is a new message (new message id, new enqueue time,
 *   retention restarts); a task runs at most 36 hours; at most 100 active tasks per account.
 * - Error codes and messages as AWS returned them, recorded by LocalStack's AWS-validated snapshot
 *   tests (tests/aws/services/sqs/test_sqs_move_task.snapshot.json).
 */

export type MoveTaskStatus = "RUNNING" | "COMPLETED" | "CANCELLING" | "CANCELLED" | "FAILED";

/** MaxNumberOfMessagesPerSecond: 1-500 when given (API_StartMessageMoveTask). */
export const MIN_MOVE_RATE = 1;
export const MAX_MOVE_RATE = 500;
/**
 * Without MaxNumberOfMessagesPerSecond AWS "optimizes the rate based on the backlog"; the console
 * calls it "the maximum number of messages per second". No figure is published, so the local
 * mover uses the documented maximum of a custom rate.
 */
export const SYSTEM_OPTIMISED_RATE = 500;
/** A task runs at most 36 hours (DLQ redrive guide). */
export const MAX_TASK_DURATION_MS = 36 * 60 * 60 * 1000;
/** At most 100 active redrive tasks per account (DLQ redrive guide). */
export const MAX_ACTIVE_TASKS = 100;
/** ListMessageMoveTasks: MaxResults 1-10, default 1 (the most recent task). */
export const MAX_LIST_RESULTS = 10;
export const DEFAULT_LIST_RESULTS = 1;
/**
 * The mover works in slots of this length: each slot moves its share of the rate in one
 * transaction, so a 500/s task commits 10 times a second instead of 500.
 */
export const SLOT_MS = 100;
const SLOTS_PER_SECOND = 1000 / SLOT_MS;
/** What AWS reports in FailureReason when a queue of the task is gone (recorded from AWS). */
export const QUEUE_GONE_REASON = "AWS.SimpleQueueService.NonExistentQueue";

export function isActive(status: MoveTaskStatus): boolean {
  return status === "RUNNING" || status === "CANCELLING";
}

/** Only a RUNNING task can be cancelled (API_CancelMessageMoveTask). */
export function canCancel(status: MoveTaskStatus): boolean {
  return status === "RUNNING";
}

// ------------------------------------------------------------------ task handles
/**
 * AWS's task handles are base64 of `{"taskId":"<uuid>","sourceArn":"<arn>"}` (the API reference's
 * examples decode to that), which is how CancelMessageMoveTask finds the source queue from the
 * handle alone. The local cloud makes them the same way.
 */
export function encodeTaskHandle(taskId: string, sourceArn: string): string {
  return Buffer.from(JSON.stringify({ taskId, sourceArn }), "utf8").toString("base64");
}

export function decodeTaskHandle(handle: string): { taskId: string; sourceArn: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(handle)) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(handle, "base64").toString("utf8")) as unknown;
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const { taskId, sourceArn } = parsed as { taskId?: unknown; sourceArn?: unknown };
    if (typeof taskId !== "string" || typeof sourceArn !== "string" || taskId === "" || sourceArn === "") return undefined;
    return { taskId, sourceArn };
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ ARNs
/** `arn:partition:service:region:account:resource`, the shape AWS asks for in its error message. */
export function parseArn(arn: string): { service: string; region: string; account: string; resource: string } | undefined {
  const parts = arn.split(":");
  if (parts.length !== 6 || parts[0] !== "arn" || parts.some((part, index) => part === "" && index !== 3)) return undefined;
  return { service: parts[2] as string, region: parts[3] as string, account: parts[4] as string, resource: parts[5] as string };
}

// ------------------------------------------------------------------ the rate schedule
/**
 * How many moves slot `slot` (counted from the task's start) may make at `rate` per second. The
 * shares are spread so that ANY ten consecutive slots, i.e. any second on the slot schedule, sum
 * to exactly `rate` (ceil((k+10)·r/10) − ceil(k·r/10) = r), and the first slot always moves
 * something, so a slow task starts at once.
 */
export function slotQuota(rate: number, slot: number): number {
  return Math.ceil(((slot + 1) * rate) / SLOTS_PER_SECOND) - Math.ceil((slot * rate) / SLOTS_PER_SECOND);
}

/** The first slot at or after `from` with a share above zero (rates under 10/s skip slots). */
export function nextSlotWithQuota(rate: number, from: number): number {
  let slot = Math.max(0, from);
  while (slotQuota(rate, slot) === 0) slot += 1;
  return slot;
}

/** The slot that `now` falls in, for a schedule that began at `origin`. */
export function slotAt(origin: number, now: number): number {
  return Math.floor((now - origin) / SLOT_MS);
}

/**
 * The next slot a task may use after `lastSlot`, given the time. A slot whose time has passed
 * unused is forfeited, never made up: catching up would move two slots' shares at once.
 */
export function dueSlot(rate: number, origin: number, lastSlot: number, now: number): { slot: number; due: boolean; at: number } {
  const next = nextSlotWithQuota(rate, Math.max(lastSlot + 1, slotAt(origin, now)));
  const at = origin + next * SLOT_MS;
  return { slot: next, due: at <= now, at };
}

// ------------------------------------------------------------------ which messages a step moves
export interface CandidateMessage {
  seq: number;
  group_id: string | null;
  visible_at: number;
  expires_at: number;
}

/** What a scan has learnt so far; carried from one page of messages to the next. */
export interface PlanState {
  /** FIFO groups with a message that cannot move yet: nothing later of theirs may move either. */
  blocked: ReadonlySet<string | null>;
  /** Every message of the source with seq <= cursor is moved (or expired). */
  cursor: number;
  /** False once a message was left behind: the cursor stops before it. */
  contiguous: boolean;
  /** The earliest moment a skipped message becomes visible (in flight or delayed), if any. */
  wakeAt: number | undefined;
  /** True when a message was left for a later step (in flight, delayed, behind one of its group, or over the budget). */
  pending: boolean;
}

export function initialPlanState(cursor: number, blocked: ReadonlySet<string | null>): PlanState {
  return { blocked, cursor, contiguous: true, wakeAt: undefined, pending: false };
}

/**
 * Plans a step over `rows`, the source's messages after the cursor in seq order (oldest first,
 * the order the guide promises). A visible message moves; one in flight or delayed waits for a
 * later step, and on a FIFO queue so does every later message of its group (a receive would not
 * hand them out either), which keeps each group's order in the destination. Expired messages are
 * passed over (retention removes them). At most `budget` messages move.
 */
export function planMoves<T extends CandidateMessage>(
  rows: readonly T[],
  state: PlanState,
  options: { fifo: boolean; now: number; budget: number },
): { move: T[]; state: PlanState } {
  const blocked = new Set(state.blocked);
  const move: T[] = [];
  let { cursor, contiguous, wakeAt, pending } = state;
  for (const row of rows) {
    if (row.expires_at <= options.now) {
      if (contiguous) cursor = row.seq;
      continue;
    }
    const groupBlocked = options.fifo && blocked.has(row.group_id);
    if (groupBlocked || row.visible_at > options.now) {
      if (!groupBlocked) wakeAt = wakeAt === undefined ? row.visible_at : Math.min(wakeAt, row.visible_at);
      if (options.fifo) blocked.add(row.group_id);
      contiguous = false;
      pending = true;
      continue;
    }
    if (move.length >= options.budget) {
      pending = true;
      break;
    }
    move.push(row);
    if (contiguous) cursor = row.seq;
  }
  return { move, state: { blocked, cursor, contiguous, wakeAt, pending } };
}

// ------------------------------------------------------------------ the API's view of a task
export interface MoveTaskRecord {
  task_id: string;
  source_arn: string;
  destination_arn: string | null;
  rate: number | null;
  status: MoveTaskStatus;
  moved: number;
  to_move: number;
  started_at: number;
  failure_reason: string | null;
}

/** One ListMessageMoveTasks entry: TaskHandle only while RUNNING, optional fields only when set. */
export function resultEntry(task: MoveTaskRecord): Record<string, string | number> {
  const entry: Record<string, string | number> = {
    Status: task.status,
    SourceArn: task.source_arn,
    ApproximateNumberOfMessagesMoved: task.moved,
    ApproximateNumberOfMessagesToMove: task.to_move,
    StartedTimestamp: task.started_at,
  };
  if (task.status === "RUNNING") entry.TaskHandle = encodeTaskHandle(task.task_id, task.source_arn);
  if (task.destination_arn !== null) entry.DestinationArn = task.destination_arn;
  if (task.rate !== null) entry.MaxNumberOfMessagesPerSecond = task.rate;
  if (task.status === "FAILED" && task.failure_reason !== null) entry.FailureReason = task.failure_reason;
  return entry;
}
