import { readFileSync } from "node:fs";
import { isProcessAlive, readDaemonState, removeDaemonState, type DaemonState } from "./state.js";

/** How long a health probe of a recorded instance may take before it counts as unresponsive. */
export const HEALTH_PROBE_TIMEOUT_MS = 2_000;

/** What `/_wsq/health` answers (see src/local/server/local-cloud.ts). */
export interface HealthReply {
  service: string;
  version: string;
  pid: number;
  url: string;
  region: string;
  dataDir: string;
  startedAt: string;
}

/**
 * What the state file of a data directory tells, once checked against the process table and the
 * instance itself:
 * - `none`: nothing recorded;
 * - `stale`: recorded, but that process is gone (or the pid now belongs to another program);
 *   the stale file has been removed;
 * - `unresponsive`: a wsq process with that pid lives but does not answer its health check;
 * - `running`: it answers, and it is the process that was recorded.
 */
export type InstanceProbe =
  | { kind: "none" }
  | { kind: "stale"; state: DaemonState }
  | { kind: "unresponsive"; state: DaemonState }
  | { kind: "running"; state: DaemonState; health: HealthReply };

export async function fetchHealth(url: string, timeoutMs = HEALTH_PROBE_TIMEOUT_MS): Promise<HealthReply | undefined> {
  try {
    const response = await fetch(`${url}/_wsq/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    const body = (await response.json()) as Partial<HealthReply>;
    return body.service === "wsq-local" ? (body as HealthReply) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a live pid still looks like a wsq local cloud. Pids are reused: after a reboot or a
 * crash the recorded pid may belong to an unrelated program, which must never be signalled.
 * Where /proc is unavailable (macOS), a live pid is given the benefit of the doubt.
 */
export function looksLikeWsq(pid: number): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    return commandLine.includes("local") && commandLine.includes("start");
  } catch {
    return true;
  }
}

export async function probeInstance(dataDir: string): Promise<InstanceProbe> {
  const state = readDaemonState(dataDir);
  if (state === undefined) return { kind: "none" };
  if (!isProcessAlive(state.pid)) {
    removeDaemonState(dataDir, state.pid);
    return { kind: "stale", state };
  }
  const health = await fetchHealth(state.url);
  if (health !== undefined && health.pid === state.pid) return { kind: "running", state, health };
  if (!looksLikeWsq(state.pid)) {
    removeDaemonState(dataDir, state.pid);
    return { kind: "stale", state };
  }
  return { kind: "unresponsive", state };
}

/** `3h 04m 05s` style, for humans. */
export function formatUptime(milliseconds: number): string {
  const totalSeconds = Math.max(0, Math.floor(milliseconds / 1000));
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const pad = (n: number): string => String(n).padStart(2, "0");
  if (days > 0) return `${days}d ${pad(hours)}h ${pad(minutes)}m`;
  if (hours > 0) return `${hours}h ${pad(minutes)}m ${pad(seconds)}s`;
  if (minutes > 0) return `${minutes}m ${pad(seconds)}s`;
  return `${seconds}s`;
}
