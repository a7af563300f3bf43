// The SQS service on an in-memory SQLite database, with a clock that moves only when the test
// moves it: the service's time rules and quotas with no waiting and no HTTP.
//
// Each test file calls `closeSqsInMemory()` in its own afterEach. (The unit project shares one
// module cache per worker, so a hook registered here would run for the first file that imported
// this module only.)
import type Database from "better-sqlite3";
import { memoryContext } from "./memory-context.js";
import { SqsService, type SqsServiceOptions } from "../../src/local/sqs/service.js";

/** Epoch ms the clock starts at unless a test says otherwise (2027-01-15). */
export const CLOCK_START = 1_800_000_000_000;

const open: { service: SqsService; db: Database.Database }[] = [];

/** Closes every service (and its database) made since the last call. */
export function closeSqsInMemory(): void {
  for (const { service, db } of open.splice(0)) {
    service.close();
    if (db.open) db.close();
  }
}

export interface SqsInMemory {
  /** The service made last (a `reopen` makes a new one on the same database). */
  readonly service: SqsService;
  /** The time the service reads, in epoch ms. */
  readonly now: number;
  /** Moves the clock forward. */
  advance: (ms: number) => void;
  /**
   * Drops the service without committing anything more (as kill -9 would: its timers stop, its
   * state is whatever the database holds) and opens a new one on the same database.
   */
  reopen: () => void;
}

export function sqsInMemory(options: SqsServiceOptions = {}, start = CLOCK_START): SqsInMemory {
  const clock = { t: start, now: () => clock.t };
  const ctx = memoryContext(clock);
  const db = ctx.db;
  let service = new SqsService(ctx, options);
  open.push({ service, db });
  return {
    get service() {
      return service;
    },
    get now() {
      return clock.t;
    },
    advance: (ms) => void (clock.t += ms),
    reopen() {
      service.moveTasks.close();
      service.scheduler.close();
      service = new SqsService(ctx, options);
      open.push({ service, db });
    },
  };
}
