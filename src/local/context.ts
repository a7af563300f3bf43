import type Database from "better-sqlite3";

/** Milliseconds since the epoch. Injected so that queue and mapping semantics can be tested without waiting. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured log lines of the local cloud (daemon log file, or stderr in the foreground). */
export interface LocalLogger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  child(scope: string): LocalLogger;
}

/**
 * What every local service receives from the composition root (src/local/server/local-cloud.ts).
 * No service keeps module-level state: two local clouds can run in one process (tests do).
 */
export interface LocalContext {
  region: string;
  /** The account id the local cloud pretends to be; every ARN and queue URL uses it. */
  accountId: string;
  /** Private to the user (0700). Services keep their files below it, each in its own folder. */
  dataDir: string;
  /**
   * One SQLite database (WAL, synchronous=FULL) shared by every service; each service creates
   * its own tables with its own prefix (sqs_, apigw_, lambda_, logs_, cfn_, s3_).
   */
  db: Database.Database;
  /** `http://127.0.0.1:PORT`, known once the server listens; call it lazily, never at construction. */
  baseUrl(): string;
  /**
   * Resolves with the base URL when the server listens, for work that start-up resumes before
   * then (interrupted stack operations, event source mappings); rejects if start-up fails first.
   */
  listening: Promise<string>;
  clock: Clock;
  log: LocalLogger;
}
