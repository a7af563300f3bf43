import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { isProcessAlive } from "./state.js";
import { looksLikeWsq } from "./instance.js";

export const DAEMON_LOCK_FILE = "daemon.lock";

/**
 * One local cloud per data directory: two processes on one database would each keep their own
 * queues' in-memory schedulers and hand out the same messages. The process that serves a data
 * directory holds this file (created exclusively, holding its pid) from before it opens the
 * database until it has closed it. daemon.json says where it listens; this file says who owns
 * the directory, including while it is still starting.
 */
export type LockResult = { acquired: true; release: () => void } | { acquired: false; owner: number };

function lockPath(dataDir: string): string {
  return join(dataDir, DAEMON_LOCK_FILE);
}

export function readLockOwner(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPath(dataDir), "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function acquireDataDirLock(dataDir: string): LockResult {
  const path = lockPath(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return {
        acquired: true,
        release: () => {
          if (readLockOwner(dataDir) === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readLockOwner(dataDir);
    if (owner !== undefined && owner !== process.pid && isProcessAlive(owner) && looksLikeWsq(owner)) return { acquired: false, owner };
    // Left by a process that died (kill -9, power loss), or its pid now belongs to another program.
    rmSync(path, { force: true });
  }
  const owner = readLockOwner(dataDir);
  return { acquired: false, owner: owner ?? -1 };
}

/** After a forced stop: the killed owner could not remove its lock. */
export function removeLockOf(dataDir: string, pid: number): void {
  if (readLockOwner(dataDir) === pid) rmSync(lockPath(dataDir), { force: true });
}
