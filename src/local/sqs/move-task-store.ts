/**
 * SQLite storage of message move tasks, beside the sqs_ tables of store.ts (and in the same
 * database, so a move and its task's progress commit in one transaction). A task row is the whole
 * durable state of a task: after a restart the mover continues from `cursor` with `moved` intact.
 */
import type Database from "better-sqlite3";
import type { MessageRow } from "./store.js";
import type { MoveTaskRecord, MoveTaskStatus } from "./move-task-rules.js";

export interface MoveTaskRow extends MoveTaskRecord {
  /** The source queue's name (the DLQ); its ARN is `source_arn`. */
  source_queue: string;
  /** Messages with a higher seq arrived after the start and are not this task's to move. */
  watermark: number;
  /** Every message of the source with seq <= cursor has been moved (or expired). */
  cursor: number;
  finished_at: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sqs_move_tasks (
  task_id TEXT PRIMARY KEY,
  source_queue TEXT NOT NULL,
  source_arn TEXT NOT NULL,
  destination_arn TEXT,
  rate INTEGER,
  status TEXT NOT NULL,
  moved INTEGER NOT NULL,
  to_move INTEGER NOT NULL,
  watermark INTEGER NOT NULL,
  cursor INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  failure_reason TEXT
);
CREATE INDEX IF NOT EXISTS sqs_move_tasks_source ON sqs_move_tasks (source_queue, started_at);
`;

/** How many finished tasks each source keeps: ListMessageMoveTasks shows at most 10. */
const KEPT_PER_SOURCE = 10;

export class MoveTaskStore {
  private readonly s;

  constructor(db: Database.Database) {
    db.exec(SCHEMA);
    this.s = {
      insert: db.prepare(
        "INSERT INTO sqs_move_tasks (task_id, source_queue, source_arn, destination_arn, rate, status, moved, to_move, watermark, cursor, started_at, finished_at, failure_reason) " +
          "VALUES (@task_id, @source_queue, @source_arn, @destination_arn, @rate, @status, @moved, @to_move, @watermark, @cursor, @started_at, @finished_at, @failure_reason)",
      ),
      get: db.prepare<[string], MoveTaskRow>("SELECT * FROM sqs_move_tasks WHERE task_id = ?"),
      active: db.prepare<[], MoveTaskRow>("SELECT * FROM sqs_move_tasks WHERE status IN ('RUNNING', 'CANCELLING') ORDER BY started_at"),
      recent: db.prepare<[string, number], MoveTaskRow>("SELECT * FROM sqs_move_tasks WHERE source_queue = ? ORDER BY started_at DESC, rowid DESC LIMIT ?"),
      prune: db.prepare(
        "DELETE FROM sqs_move_tasks WHERE source_queue = ? AND status NOT IN ('RUNNING', 'CANCELLING') AND task_id NOT IN " +
          "(SELECT task_id FROM sqs_move_tasks WHERE source_queue = ? ORDER BY started_at DESC, rowid DESC LIMIT ?)",
      ),
      progress: db.prepare("UPDATE sqs_move_tasks SET moved = ?, cursor = ? WHERE task_id = ?"),
      finish: db.prepare("UPDATE sqs_move_tasks SET status = ?, failure_reason = ?, finished_at = ? WHERE task_id = ?"),
      setStatus: db.prepare("UPDATE sqs_move_tasks SET status = ? WHERE task_id = ?"),
      dropSource: db.prepare("DELETE FROM sqs_move_tasks WHERE source_queue = ?"),
      // Message reads of the mover. seq is the rowid, so (cursor, watermark] is a rowid range scan.
      after: db.prepare<[string, number, number, number], MessageRow>(
        "SELECT * FROM sqs_messages WHERE queue = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
      ),
      watermark: db.prepare<[string, number], { seq: number | null; n: number }>(
        "SELECT MAX(seq) AS seq, COUNT(*) AS n FROM sqs_messages WHERE queue = ? AND expires_at > ?",
      ),
    };
  }

  insert(row: MoveTaskRow): void {
    this.s.insert.run(row);
    this.s.prune.run(row.source_queue, row.source_queue, KEPT_PER_SOURCE);
  }
  get(taskId: string): MoveTaskRow | undefined {
    return this.s.get.get(taskId);
  }
  active(): MoveTaskRow[] {
    return this.s.active.all();
  }
  recent(sourceQueue: string, limit: number): MoveTaskRow[] {
    return this.s.recent.all(sourceQueue, limit);
  }
  progress(taskId: string, moved: number, cursor: number): void {
    this.s.progress.run(moved, cursor, taskId);
  }
  finish(taskId: string, status: MoveTaskStatus, failureReason: string | null, at: number): void {
    this.s.finish.run(status, failureReason, at, taskId);
  }
  setStatus(taskId: string, status: MoveTaskStatus): void {
    this.s.setStatus.run(status, taskId);
  }
  dropSource(sourceQueue: string): void {
    this.s.dropSource.run(sourceQueue);
  }
  /** The source's messages after `cursor`, up to `watermark`, oldest first. */
  messagesAfter(queue: string, cursor: number, watermark: number, limit: number): MessageRow[] {
    return this.s.after.all(queue, cursor, watermark, limit);
  }
  /** The newest message now in the queue and how many there are (ApproximateNumberOfMessagesToMove). */
  snapshot(queue: string, now: number): { watermark: number; count: number } {
    const row = this.s.watermark.get(queue, now);
    return { watermark: row?.seq ?? 0, count: row?.n ?? 0 };
  }
}
