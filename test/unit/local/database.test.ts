import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { openDatabase, withoutFsync } from "../../../src/local/server/database.js";

describe("withoutFsync", () => {
  function database() {
    const dir = mkdtempSync(join(tmpdir(), "wsq-database-"));
    const db = openDatabase(dir);
    onTestFinished(() => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });
    db.exec("CREATE TABLE t (v TEXT)");
    const level = () => Number(db.pragma("synchronous", { simple: true }));
    return { db, level };
  }

  it("runs the work at NORMAL and puts FULL back, also when the work throws", () => {
    const { db, level } = database();
    expect(level()).toBe(2);
    expect(withoutFsync(db, () => (db.prepare("INSERT INTO t VALUES ('a')").run(), level()))).toBe(1);
    expect(level()).toBe(2);
    expect(() =>
      withoutFsync(db, () => {
        throw new Error("work failed");
      }),
    ).toThrow("work failed");
    expect(level()).toBe(2);
  });

  it("leaves the level to an enclosing transaction, where SQLite refuses to change it", () => {
    const { db, level } = database();
    const inside = db.transaction(() => withoutFsync(db, () => (db.prepare("INSERT INTO t VALUES ('b')").run(), level())));
    expect(inside()).toBe(2);
    expect(db.prepare("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 1 });
  });
});
