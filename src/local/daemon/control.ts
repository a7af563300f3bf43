import { resolve as resolvePath } from "node:path";
import { defaultLocalDataDir } from "../../shared/paths.js";
import { DEFAULT_PORT, DEFAULT_REGION, STOP_GRACE_MS } from "../../shared/defaults.js";
import { isProcessAlive, readLastPort, removeDaemonState, type DaemonState } from "./state.js";
import { probeInstance, type HealthReply } from "./instance.js";
import { startDaemon } from "./background.js";
import { removeLockOf } from "./lock.js";

/** How often a stopping process is checked for (another process's exit has no event to await). */
const EXIT_POLL_MS = 50;

export type LocalStatus =
  | { running: true; state: DaemonState; health: HealthReply; uptimeMs: number }
  | { running: false; dataDir: string; reason: "not-started" | "stale" | "unresponsive"; state?: DaemonState };

export async function localStatus(dataDir: string): Promise<LocalStatus> {
  const probe = await probeInstance(dataDir);
  switch (probe.kind) {
    case "running":
      return { running: true, state: probe.state, health: probe.health, uptimeMs: Date.now() - Date.parse(probe.state.startedAt) };
    case "none":
      return { running: false, dataDir, reason: "not-started" };
    case "stale":
      return { running: false, dataDir, reason: "stale", state: probe.state };
    case "unresponsive":
      return { running: false, dataDir, reason: "unresponsive", state: probe.state };
  }
}

export interface StopResult {
  /** What was stopped, if anything ran. */
  state?: DaemonState;
  stopped: boolean;
  /** True when the process ignored SIGTERM for STOP_GRACE_MS and was killed. */
  killed: boolean;
  /** True when only a stale daemon.json (dead process) was found and removed. */
  staleRemoved: boolean;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, EXIT_POLL_MS));
  }
  return !isProcessAlive(pid);
}

/** SIGTERM (graceful: the instance finishes in-flight writes), then SIGKILL after a bounded wait. */
export async function stopLocalCloud(dataDir: string, graceMs = STOP_GRACE_MS): Promise<StopResult> {
  const probe = await probeInstance(dataDir);
  if (probe.kind === "none") return { stopped: false, killed: false, staleRemoved: false };
  if (probe.kind === "stale") return { state: probe.state, stopped: false, killed: false, staleRemoved: true };
  const { pid } = probe.state;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // Exited between the probe and the signal.
  }
  let killed = false;
  if (!(await waitForExit(pid, graceMs))) {
    killed = true;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Exited at the last moment.
    }
    await waitForExit(pid, graceMs);
  }
  // A graceful exit removes the file itself; a killed process cannot.
  removeDaemonState(dataDir, pid);
  removeLockOf(dataDir, pid);
  return { state: probe.state, stopped: true, killed, staleRemoved: false };
}

export interface EnsureLocalCloudOptions {
  dataDir?: string;
  /** Default: the port the data directory's local cloud last listened on, else 4510. */
  port?: number;
  region?: string;
  /** Called with a one-line message when a new instance had to be started. */
  onStart?: (message: string) => void;
}

/**
 * The running local cloud of a data directory, started in the background if none runs. What
 * `wsq deploy` calls before it talks to the local target.
 */
export async function ensureLocalCloudRunning(options: EnsureLocalCloudOptions = {}): Promise<DaemonState> {
  const dataDir = resolvePath(options.dataDir ?? defaultLocalDataDir());
  const probe = await probeInstance(dataDir);
  if (probe.kind === "running") return probe.state;
  const result = await startDaemon({
    dataDir,
    port: options.port ?? readLastPort(dataDir) ?? DEFAULT_PORT,
    host: "127.0.0.1",
    region: options.region ?? DEFAULT_REGION,
  });
  if (!result.alreadyRunning) {
    options.onStart?.(`Started the local cloud at ${result.state.url} (pid ${result.state.pid}, data in ${dataDir}).`);
  }
  return result.state;
}
