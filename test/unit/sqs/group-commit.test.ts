import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
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
});
