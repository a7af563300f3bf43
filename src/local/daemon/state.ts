import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Written by a running local cloud into its data directory; read by every command that needs it. */
export interface DaemonState {
  pid: number;
  port: number;
  host: string;
  /** http://127.0.0.1:PORT */
  url: string;
  region: string;
  dataDir: string;
  version: string;
  startedAt: string;
  /** "daemon" when started in the background, "foreground" for --foreground. */
  mode: "daemon" | "foreground";
  /**
   * Whether the SQS FIFO throughput quotas are enforced (false after `--no-quotas`). Absent from
   * files written by wsq versions that had no quotas (they enforced none).
   */
  quotas?: boolean;
  /**
   * Whether each WebSocket connection's frames are integrated strictly in arrival order
   * (`--ordered-frames`). Absent from files written by wsq versions that always did so.
   */
  orderedFrames?: boolean;
}

export const DAEMON_STATE_FILE = "daemon.json";
export const DAEMON_LOG_FILE = "local.log";
/**
 * The port the data directory's local cloud last listened on. It outlives the process: the
 * stacks deployed there name it in their URLs (as an API's endpoint on AWS never changes), so the
 * next start without --port listens on it again.
 */
export const LAST_PORT_FILE = "port.json";

export function daemonStatePath(dataDir: string): string {
  return join(dataDir, DAEMON_STATE_FILE);
}

export function daemonLogPath(dataDir: string): string {
  return join(dataDir, DAEMON_LOG_FILE);
}

/** The recorded state, or undefined if none was written (it may still be stale: check the pid). */
export function readDaemonState(dataDir: string): DaemonState | undefined {
  try {
    return JSON.parse(readFileSync(daemonStatePath(dataDir), "utf8")) as DaemonState;
  } catch {
    return undefined;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/**
 * A process that exited but was not yet reaped by its parent still answers kill(pid, 0). A daemon
 * is reparented to pid 1, and in containers pid 1 may reap late (or never), so on Linux the state
 * letter in /proc/PID/stat decides: Z (zombie) and X (dead) have exited.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X";
  } catch {
    return false;
  }
}

/**
 * Records the running instance. Written to a temporary file, fsync'd and renamed, so a reader
 * never sees half a file, even if this process dies mid-write.
 */
export function writeDaemonState(state: DaemonState): void {
  writeJsonAtomically(daemonStatePath(state.dataDir), state);
}

function writeJsonAtomically(target: string, value: unknown): void {
  const temporary = `${target}.${process.pid}.tmp`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, target);
}

/** The port this data directory's local cloud last listened on, if it ever did. */
export function readLastPort(dataDir: string): number | undefined {
  try {
    const { port } = JSON.parse(readFileSync(join(dataDir, LAST_PORT_FILE), "utf8")) as { port?: unknown };
    return typeof port === "number" && Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

export function writeLastPort(dataDir: string, port: number): void {
  writeJsonAtomically(join(dataDir, LAST_PORT_FILE), { port });
}

/**
 * Removes the state file, but only if it still describes `pid`: a newer instance that replaced a
 * stale file must not lose its record when the old one finally exits.
 */
export function removeDaemonState(dataDir: string, pid?: number): void {
  if (pid !== undefined) {
    const current = readDaemonState(dataDir);
    if (current !== undefined && current.pid !== pid) return;
  }
  rmSync(daemonStatePath(dataDir), { force: true });
}
