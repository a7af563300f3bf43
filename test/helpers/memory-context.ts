// A LocalContext on an in-memory SQLite database, for services tested without the server: the
// region, account and URLs the local cloud would have, no data dir, no log output.
import Database from "better-sqlite3";
import type { LocalContext } from "../../src/local/context.js";
import { silentLogger } from "../../src/local/server/logger.js";

export function memoryContext(clock: LocalContext["clock"] = { now: () => Date.now() }): LocalContext & { db: Database.Database; close(): void } {
  const db = new Database(":memory:");
  return {
    region: "us-east-1",
    accountId: "000000000000",
    dataDir: "/nonexistent",
    db,
    baseUrl: () => "http://127.0.0.1:4510",
    listening: Promise.resolve("http://127.0.0.1:4510"),
    clock,
    log: silentLogger,
    close: () => {
      if (db.open) db.close();
    },
  };
}
