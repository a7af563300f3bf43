/**
 * Group commit: every mutation of the SQS service is queued here and all mutations that arrive
 * during one event-loop turn run in ONE SQLite transaction (WAL), committed in setImmediate. Each
 * caller's promise settles only after that commit, so an acknowledged SendMessage survives kill -9,
 * while 32 concurrent senders share one disk flush.
 *
 * Each operation runs inside its own savepoint, so one failing operation (a validation error
 * found against stored state) rolls back only itself; the others still commit.
 *
 * Every batch commits at synchronous=NORMAL: the transaction is appended to the WAL with write(),
 * without an fsync on the event loop. What a caller waits for depends on what it must survive
 * (docs/sqs.md, "Durability"):
 *   - "power-loss" (the default: sends, queue changes): answered once an fdatasync of the WAL,
 *     started after its commit, has returned. The fdatasync runs on libuv's thread pool, so the
 *     event loop goes on serving (the @connections posts, the receives, the depth probe) while the
 *     disk flushes, and the commits made meanwhile share the next one. That is what
 *     synchronous=FULL promised (fsync'd before the answer: survives kill -9, an OS crash and a
 *     power cut), without blocking the event loop for the flush (about 4.7 ms per commit on the
 *     2-core machine against 0.08 ms for the commit itself).
 *   - "process-crash" (receives, deletes, visibility changes: the consumer's bookkeeping): answered
 *     right after the commit. It survives kill -9 of the local cloud (the bytes are the kernel's),
 *     and the next fdatasync or checkpoint makes it durable too; an OS crash or power cut before
 *     that may roll it back, which makes those messages deliverable again: delivered twice, never
 *     lost. A drain commits once or twice per batch.
 * A committed send is visible to receivers from its commit, a few milliseconds before its fdatasync
 * returns: a power cut in between can take away a message a consumer already saw, but never one a
 * producer was told was stored.
 */
import { closeSync, fdatasync, fdatasyncSync, openSync } from "node:fs";
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

/** A committed operation whose caller waits for the disk. */
interface AwaitingSync {
  value: unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Makes everything committed so far survive a power cut. */
export interface DurableSync {
  /** On the thread pool; calls back once the disk has it (or with the error). */
  sync(done: (error: Error | null) => void): void;
  /** The same, blocking: for close(). */
  syncNow(): void;
  close(): void;
}

/**
 * fdatasync of the database's WAL file (`{file}-wal`), where a WAL-mode commit's bytes go; the
 * file SQLite checkpoints into is synced by SQLite itself at each checkpoint, before it reuses the
 * WAL. Opened on the first sync, as the WAL exists from the first commit on. An in-memory database
 * has nothing to flush.
 */
export function walSync(db: Database.Database): DurableSync {
  if (db.memory) return { sync: (done) => setImmediate(() => done(null)), syncNow: () => undefined, close: () => undefined };
  // The local cloud's database is always in WAL mode (database.ts); any other journal mode commits
  // into the database file itself, which is then the one to flush.
  const file = String(db.pragma("journal_mode", { simple: true })).toLowerCase() === "wal" ? `${db.name}-wal` : db.name;
  let fd: number | undefined;
  const open = (): number => (fd ??= openSync(file, "r"));
  return {
    sync(done) {
      let target: number;
      try {
        target = open();
      } catch (error) {
        setImmediate(() => done(error as Error));
        return;
      }
      fdatasync(target, done);
    },
    syncNow() {
      fdatasyncSync(open());
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
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

  /** Committed, waiting for the next sync to start. */
  private awaitingSync: AwaitingSync[] = [];
  /** Committed, waiting for the sync under way (undefined: none is). */
  private syncing: AwaitingSync[] | undefined;

  constructor(
    private readonly db: Database.Database,
    /** Called after each committed batch (wake waiters, re-arm the scheduler). */
    private readonly onCommitted: () => void,
    /** Called when a commit failed and in-memory caches must be reloaded. */
    private readonly onRolledBack: () => void,
    private readonly durable: DurableSync = walSync(db),
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
    try {
      withoutFsync(this.db, () => this.inTransaction(batch, outcomes));
    } catch (error) {
      this.afterCommitHooks.length = 0;
      this.onRolledBack();
      for (const operation of batch) operation.reject(error);
      return;
    }
    this.stats.commits += 1;
    this.stats.operations += batch.length;
    const hooks = this.afterCommitHooks.splice(0);
    const waiting = this.awaitingSync.length;
    batch.forEach((operation, index) => {
      const outcome = outcomes[index] as { ok: boolean; value: unknown };
      if (!outcome.ok) operation.reject(outcome.value);
      else if (operation.survives === "power-loss") this.awaitingSync.push({ value: outcome.value, resolve: operation.resolve, reject: operation.reject });
      else operation.resolve(outcome.value);
    });
    if (this.awaitingSync.length > waiting && this.syncing === undefined) this.startSync();
    for (const hook of hooks) hook();
    this.onCommitted();
  }

  /**
   * Flushes the WAL for everyone committed so far. Whoever commits while a flush is under way waits
   * for the next one, which starts when this one returns: a caller is answered only after a flush
   * that began after its commit.
   */
  private startSync(): void {
    const group = this.awaitingSync;
    this.awaitingSync = [];
    this.syncing = group;
    this.durable.sync((error) => {
      // close() settled them already (it flushes synchronously).
      if (this.syncing !== group) return;
      this.syncing = undefined;
      for (const waiter of group) {
        if (error) waiter.reject(error);
        else waiter.resolve(waiter.value);
      }
      if (this.awaitingSync.length > 0) this.startSync();
    });
  }

  /** Commits what is queued, flushes it to the disk, answers everyone, and refuses further work. */
  close(): void {
    this.flush();
    this.closed = true;
    const waiting = [...(this.syncing ?? []), ...this.awaitingSync];
    this.syncing = undefined;
    this.awaitingSync = [];
    if (waiting.length > 0) {
      let failure: unknown;
      try {
        this.durable.syncNow();
      } catch (error) {
        failure = error;
      }
      for (const waiter of waiting) {
        if (failure !== undefined) waiter.reject(failure);
        else waiter.resolve(waiter.value);
      }
    }
    this.durable.close();
  }
}
