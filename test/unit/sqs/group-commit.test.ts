import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { GroupCommitter } from "../../../src/local/sqs/group-commit.js";

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
    await expect(first).resolves.toBe(1);
    await expect(failing).rejects.toThrow("refused against stored state");
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
    // fsync'd at commit), 1 is NORMAL (written to the WAL, fsync'd later).
    const level = () => Number(db.pragma("synchronous", { simple: true }));

    function makeOnDisk() {
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
        ),
        insert,
      };
    }

    it("fsyncs a batch that holds anything a producer is answered for, and not one made only of the consumer's bookkeeping", async () => {
      const { committer, insert } = makeOnDisk();
      const consumerOnly = await Promise.all([
        committer.submit(() => (insert.run("received"), level()), "process-crash"),
        committer.submit(() => (insert.run("deleted"), level()), "process-crash"),
      ]);
      expect(consumerOnly).toEqual([1, 1]);
      expect(level()).toBe(2);
      const mixed = await Promise.all([
        committer.submit(() => (insert.run("deleted"), level()), "process-crash"),
        committer.submit(() => (insert.run("sent"), level())),
      ]);
      expect(mixed).toEqual([2, 2]);
      expect(await committer.submit(() => level())).toBe(2);
    });

    it("restores the connection's level after a commit that failed", async () => {
      const { committer } = makeOnDisk();
      // A deferred foreign key is checked at COMMIT: the commit itself fails, not the operation.
      db.pragma("foreign_keys = ON");
      db.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)");
      const orphan = db.prepare("INSERT INTO child (parent) VALUES (42)");
      await expect(committer.submit(() => orphan.run(), "process-crash")).rejects.toThrow(/FOREIGN KEY/);
      expect(level()).toBe(2);
    });

    it("leaves a connection that already runs at NORMAL as it is", async () => {
      const { committer, insert } = makeOnDisk();
      db.pragma("synchronous = NORMAL");
      const lowered = new GroupCommitter(
        db,
        () => undefined,
        () => undefined,
      );
      expect(await lowered.submit(() => (insert.run("x"), level()))).toBe(1);
      expect(await lowered.submit(() => (insert.run("y"), level()), "process-crash")).toBe(1);
      committer.close();
    });
  });
});
