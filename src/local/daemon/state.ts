import { readFileSync } from "node:fs";
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
}

export const DAEMON_STATE_FILE = "daemon.json";
export const DAEMON_LOG_FILE = "local.log";

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
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
