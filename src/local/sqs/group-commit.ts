/**
 * Group commit: every mutation of the SQS service is queued here and all mutations that arrive
 * during one event-loop turn run in ONE SQLite transaction, committed (fsync'd, WAL with
 * synchronous=FULL) in setImmediate. Each caller's promise settles only after that commit, so an
 * acknowledged SendMessage survives kill -9, while 32 concurrent senders share one disk flush.
 *
 * Each operation runs inside its own savepoint, so one failing operation (a validation error
 * found against stored state) rolls back only itself; the others still commit.
 *
 * What a commit survives depends on what it holds (docs/sqs.md, "Durability"):
 *   - "power-loss" (the default: sends, queue changes): the commit fsyncs the WAL before anyone
 *     is answered, so it survives kill -9, an OS crash and a power cut;
 *   - "process-crash" (receives, deletes, visibility changes: the consumer's bookkeeping): a batch
 *     made only of these commits with synchronous=NORMAL, into the WAL without an fsync. It
 *     survives kill -9 of the local cloud (the bytes are the kernel's), and the next fsync'd
 *     commit or checkpoint makes it durable too; an OS crash or power cut before that may roll it
 *     back, which makes those messages deliverable again: delivered twice, never lost. The fsync
 *     is most of a commit's cost (about 4.7 ms of a blocked event loop against 0.08 ms without it,
 *     on the 2-core machine), and a drain commits once or twice per batch.
 */
import type Database from "better-sqlite3";
import { withoutFsync } from "../server/database.js";

/** What a committed operation must survive before its caller is answered (see above). */
export type Survives = "power-loss" | "process-crash";

interface PendingOperation {
  run: () => unknown;
  survives: Survives;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommitter {
  private pending: PendingOperation[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;
  private readonly afterCommitHooks: (() => void)[] = [];
  /** Commits and operations so far: operations / commits is the achieved grouping. */
  readonly stats = { commits: 0, operations: 0 };
  /**
   * better-sqlite3 builds four wrapper functions each time `db.transaction()` is called (about
   * 10 µs and garbage per call), so both wrappers are made once: a wrapper called inside the open
   * transaction runs as a savepoint.
   */
  private readonly inSavepoint: (operation: PendingOperation) => unknown;
  private readonly inTransaction: (batch: PendingOperation[], outcomes: { ok: boolean; value: unknown }[]) => void;

  constructor(
    private readonly db: Database.Database,
    /** Called after each committed batch (wake waiters, re-arm the scheduler). */
    private readonly onCommitted: () => void,
    /** Called when a commit failed and in-memory caches must be reloaded. */
    private readonly onRolledBack: () => void,
  ) {
    this.inSavepoint = db.transaction((operation: PendingOperation) => operation.run());
    this.inTransaction = db.transaction((batch: PendingOperation[], outcomes: { ok: boolean; value: unknown }[]) => {
      for (const operation of batch) {
        try {
          outcomes.push({ ok: true, value: this.inSavepoint(operation) });
        } catch (error) {
          outcomes.push({ ok: false, value: error });
        }
      }
    });
  }

  /** Queues `run` for the next group commit; resolves with its result once committed. */
  submit<T>(run: () => T, survives: Survives = "power-loss"): Promise<T> {
    if (this.closed) return Promise.reject(new Error("the SQS service is closed"));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ run, survives, resolve: resolve as (value: unknown) => void, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Runs after the current batch commits (used by operations to publish side effects). */
  afterCommit(hook: () => void): void {
    this.afterCommitHooks.push(hook);
  }

  /** Commits everything queued so far, synchronously. */
  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    const unsynced = batch.every((operation) => operation.survives === "process-crash");
    try {
      if (unsynced) withoutFsync(this.db, () => this.inTransaction(batch, outcomes));
      else this.inTransaction(batch, outcomes);
    } catch (error) {
      this.afterCommitHooks.length = 0;
      this.onRolledBack();
      for (const operation of batch) operation.reject(error);
      return;
    }
    this.stats.commits += 1;
    this.stats.operations += batch.length;
    const hooks = this.afterCommitHooks.splice(0);
    batch.forEach((operation, index) => {
      const outcome = outcomes[index] as { ok: boolean; value: unknown };
      if (outcome.ok) operation.resolve(outcome.value);
      else operation.reject(outcome.value);
    });
    for (const hook of hooks) hook();
    this.onCommitted();
  }

  /** Commits what is queued and refuses further work. */
  close(): void {
    this.flush();
    this.closed = true;
  }
}
