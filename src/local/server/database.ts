import Database from "better-sqlite3";
import { join } from "node:path";
import { WsqError } from "../../shared/errors.js";

export const DATABASE_FILE = "wsq.sqlite";

/**
 * Opens the one database of a local cloud. WAL with synchronous=FULL: a transaction that
 * committed has been fsync'd to the WAL, so an acknowledged write survives `kill -9` and power
 * loss alike. Throughput comes from group commit in the services. The one exception is the SQS
 * consumers' bookkeeping (receives, deletes, visibility changes), which the SQS group commit
 * commits at NORMAL when nothing else is in the batch: still safe from `kill -9`, possibly rolled
 * back (messages delivered again) by a power cut (docs/sqs.md, "Durability").
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
