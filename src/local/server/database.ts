import Database from "better-sqlite3";
import { join } from "node:path";
import { WsqError } from "../../shared/errors.js";

export const DATABASE_FILE = "wsq.sqlite";

/**
 * Opens the one database of a local cloud. WAL with synchronous=FULL: a transaction that
 * committed has been fsync'd to the WAL, so an acknowledged write survives `kill -9` and power
 * loss alike. Throughput comes from group commit in the services. The SQS group commit is the
 * exception: it commits at NORMAL and flushes the WAL with an fdatasync off the event loop before
 * it answers a producer, and does not flush for the consumers' bookkeeping (receives, deletes,
 * visibility changes): still safe from `kill -9`, possibly rolled back (messages delivered again)
 * by a power cut (docs/sqs.md, "Durability").
 */
export function openDatabase(dataDir: string): Database.Database {
  const file = join(dataDir, DATABASE_FILE);
  let db: Database.Database;
  try {
    db = new Database(file);
  } catch (error) {
    throw new WsqError("DATA_DIR_UNUSABLE", `Cannot open the local cloud's database ${file}: ${(error as Error).message}`, {
      hint: "Check that the data directory is writable by you, or pass another one with --data-dir.",
      cause: error,
    });
  }
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    const check = db.pragma("quick_check", { simple: true });
    if (check !== "ok") throw new Error(String(check));
  } catch (error) {
    db.close();
    throw new WsqError("DATABASE_CORRUPT", `The local cloud's database ${file} is damaged: ${(error as Error).message}`, {
      hint: `Move ${file} (and its -wal and -shm files) aside to start empty, or start with another --data-dir.`,
      cause: error,
    });
  }
  return db;
}

/**
 * Runs `work` (which commits) at synchronous=NORMAL, then puts the connection's level back: the
 * commit is written to the WAL without waiting for an fsync. It survives the death of this
 * process (`kill -9` included), not an OS crash or power cut before the next fsync'd commit or
 * checkpoint. For writes nobody was promised more of (docs/sqs.md, "Durability").
 */
export function withoutFsync<T>(db: Database.Database, work: () => T): T {
  // SQLite refuses to change the level inside a transaction: an enclosing one decides for both.
  if (db.inTransaction) return work();
  const level = Number(db.pragma("synchronous", { simple: true }));
  // NORMAL is 1, FULL 2 (https://www.sqlite.org/pragma.html#pragma_synchronous).
  if (level <= 1) return work();
  db.pragma("synchronous = NORMAL");
  try {
    return work();
  } finally {
    db.pragma(`synchronous = ${level}`);
  }
}
