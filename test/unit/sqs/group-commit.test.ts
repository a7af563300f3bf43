import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { GroupCommitter, type DurableSync } from "../../../src/local/sqs/group-commit.js";

describe("the SQS group commit", () => {
  let db: Database.Database;
  afterEach(() => db.close());

  function make() {
    db = new Database(":memory:");
    db.exec("CREATE TABLE t (v TEXT NOT NULL)");
    const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
    const events: string[] = [];
    const committer = new GroupCommitter(
      db,
      () => events.push("committed"),
      () => events.push("rolled back"),
    );
    const rows = () =>
      db
        .prepare<[], { v: string }>("SELECT v FROM t ORDER BY rowid")
        .all()
        .map((r) => r.v);
    return { committer, insert, events, rows };
  }

  it("commits the operations of one turn together and rolls back only the one that failed", async () => {
    const { committer, insert, events, rows } = make();
    const first = committer.submit(() => insert.run("a").changes);
    const failing = committer.submit(() => {
      insert.run("b"); // written, then undone with its savepoint
      throw new Error("refused against stored state");
    });
    const third = committer.submit(() => {
      insert.run("c");
      return "third";
    });
    // The failure is answered at the commit, the others once the (in-memory: immediate) flush returned.
    await expect(failing).rejects.toThrow("refused against stored state");
    await expect(first).resolves.toBe(1);
    await expect(third).resolves.toBe("third");
    expect(rows()).toEqual(["a", "c"]);
    expect(committer.stats).toEqual({ commits: 1, operations: 3 });
    expect(events).toEqual(["committed"]);
    expect(db.inTransaction).toBe(false);
  });

  it("settles a caller only after the commit, and runs after-commit hooks once", async () => {
    const { committer, insert, rows } = make();
    const order: string[] = [];
    const done = committer.submit(() => {
      insert.run("x");
      committer.afterCommit(() => order.push("hook"));
      return "ok";
    });
    void done.then(() => order.push("resolved"));
    expect(rows()).toEqual([]); // nothing runs before the group commit's turn
    await done;
    expect(rows()).toEqual(["x"]);
    expect(order).toEqual(["hook", "resolved"]);
    // A later batch does not re-run the hook.
    await committer.submit(() => insert.run("y"));
    expect(order).toEqual(["hook", "resolved"]);
    expect(committer.stats.commits).toBe(2);
  });

  it("rejects every caller of a batch whose commit fails, and asks for caches to be reloaded", async () => {
    const { committer, insert, events } = make();
    // A commit fails when the transaction was ended under the committer's feet; SQLite then has
    // no transaction to commit.
    const a = committer.submit(() => insert.run("a"));
    const b = committer.submit(() => {
      db.exec("COMMIT");
      return "b";
    });
    await expect(a).rejects.toThrow();
    await expect(b).rejects.toThrow();
    expect(events).toEqual(["rolled back"]);
    expect(committer.stats.commits).toBe(0);
  });

  it("refuses work once closed, after committing what was queued", async () => {
    const { committer, insert, rows } = make();
    const queued = committer.submit(() => insert.run("q"));
    committer.close();
    await queued;
    expect(rows()).toEqual(["q"]);
    await expect(committer.submit(() => insert.run("late"))).rejects.toThrow("closed");
  });

  describe("what a commit survives", () => {
    // The level each operation's transaction runs under, read inside it: 2 is FULL (the WAL is
    // fsync'd at commit, on the event loop), 1 is NORMAL (written to the WAL, flushed later).
    const level = () => Number(db.pragma("synchronous", { simple: true }));

    /** A DurableSync whose flushes the test ends one by one. */
    function manualSync() {
      const calls: ((error: Error | null) => void)[] = [];
      const sync: DurableSync & { calls: typeof calls; blocking: number; closed: boolean } = {
        calls,
        blocking: 0,
        closed: false,
        sync: (done) => void calls.push(done),
        syncNow() {
          sync.blocking += 1;
        },
        close() {
          sync.closed = true;
        },
      };
      return sync;
    }

    function makeOnDisk(durable?: DurableSync) {
      const dir = mkdtempSync(join(tmpdir(), "wsq-group-commit-"));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      db = new Database(join(dir, "db.sqlite"));
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.exec("CREATE TABLE t (v TEXT NOT NULL)");
      const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
      return {
        committer: new GroupCommitter(
          db,
          () => undefined,
          () => undefined,
          durable,
        ),
        insert,
      };
    }

    /** Lets the event loop run a few turns (the committer commits in setImmediate). */
    const turns = async (n = 3) => {
      for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
    };

    it("commits every batch without an fsync on the event loop, and answers a send only once a flush started after its commit returned", async () => {
      const sync = manualSync();
      const { committer, insert } = makeOnDisk(sync);
      const answered: string[] = [];
      const send = committer.submit(() => (insert.run("sent"), level())).then((v) => (answered.push("send"), v));
      const receive = committer.submit(() => (insert.run("received"), level()), "process-crash").then((v) => (answered.push("receive"), v));
      await turns();
      // Both committed at NORMAL; the consumer's bookkeeping is answered, the send waits for the disk.
      expect(await receive).toBe(1);
      expect(answered).toEqual(["receive"]);
      expect(sync.calls).toHaveLength(1);
      expect(db.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 2 });
      // A send committed while that flush is under way waits for the next one.
      const later = committer.submit(() => (insert.run("later"), level())).then((v) => (answered.push("later"), v));
      await turns();
      expect(sync.calls).toHaveLength(1);
      sync.calls[0]!(null);
      expect(await send).toBe(1);
      await turns();
      expect(answered).toEqual(["receive", "send"]);
      expect(sync.calls).toHaveLength(2);
      sync.calls[1]!(null);
      expect(await later).toBe(1);
      expect(answered).toEqual(["receive", "send", "later"]);
      // The connection is back at its own level.
      expect(level()).toBe(2);
    });

    it("asks for no flush when a batch holds only the consumer's bookkeeping, or only failures", async () => {
      const sync = manualSync();
      const { committer, insert } = makeOnDisk(sync);
      await Promise.all([committer.submit(() => insert.run("received"), "process-crash"), committer.submit(() => insert.run("deleted"), "process-crash")]);
      await expect(
        committer.submit(() => {
          throw new Error("refused");
        }),
      ).rejects.toThrow("refused");
      expect(sync.calls).toHaveLength(0);
    });

    it("fails the waiting sends when the flush fails", async () => {
      const sync = manualSync();
      const { committer, insert } = makeOnDisk(sync);
      const send = committer.submit(() => insert.run("sent"));
      await turns();
      sync.calls[0]!(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
      await expect(send).rejects.toThrow("EIO");
    });

    it("flushes synchronously on close and answers whoever was waiting, once", async () => {
      const sync = manualSync();
      const { committer, insert } = makeOnDisk(sync);
      const inFlight = committer.submit(() => insert.run("first"));
      await turns();
      const queued = committer.submit(() => insert.run("second"));
      committer.close();
      expect(sync.blocking).toBe(1);
      expect(sync.closed).toBe(true);
      await expect(inFlight).resolves.toMatchObject({ changes: 1 });
      await expect(queued).resolves.toMatchObject({ changes: 1 });
      // The flush that was under way returns late: nobody is answered twice, nothing throws.
      sync.calls[0]!(new Error("late"));
    });

    it("flushes the real WAL file: a send on disk is answered after an fdatasync", async () => {
      const { committer, insert } = makeOnDisk();
      const levels = await Promise.all([committer.submit(() => (insert.run("sent"), level())), committer.submit(() => level(), "process-crash")]);
      expect(levels).toEqual([1, 1]);
      expect(level()).toBe(2);
      committer.close();
    });

    it("flushes the database file itself when the database is not in WAL mode", async () => {
      const dir = mkdtempSync(join(tmpdir(), "wsq-group-commit-"));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      db = new Database(join(dir, "rollback.sqlite"));
      db.exec("CREATE TABLE t (v TEXT NOT NULL)");
      const committer = new GroupCommitter(
        db,
        () => undefined,
        () => undefined,
      );
      await expect(committer.submit(() => db.prepare("INSERT INTO t (v) VALUES ('sent')").run().changes)).resolves.toBe(1);
      committer.close();
    });

    it("restores the connection's level after a commit that failed", async () => {
      const { committer } = makeOnDisk(manualSync());
      // A deferred foreign key is checked at COMMIT: the commit itself fails, not the operation.
      db.pragma("foreign_keys = ON");
      db.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)");
      const orphan = db.prepare("INSERT INTO child (parent) VALUES (42)");
      await expect(committer.submit(() => orphan.run(), "process-crash")).rejects.toThrow(/FOREIGN KEY/);
      expect(level()).toBe(2);
    });
  });
});
