import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { WsqError } from "../../shared/errors.js";
import { daemonLogPath, isProcessAlive, type DaemonState } from "./state.js";
import { readLockOwner } from "./lock.js";
import { ensureDataDir, rotateLogIfLarge } from "./data-dir.js";
import { fetchHealth, probeInstance } from "./instance.js";
import { isStartupReport, type StartupReport } from "./startup-report.js";

/** Start-up opens the database and binds a port: seconds at most, unless something is wrong. */
export const DAEMON_START_TIMEOUT_MS = 30_000;
/** How many log lines a failed start quotes when the child died without saying why. */
const LOG_LINES_ON_FAILURE = 15;

export interface DaemonStartOptions {
  /** Absolute path. */
  dataDir: string;
  port: number;
  host: string;
  region: string;
  /** Verify SigV4 signatures against the local credentials (see LocalCloudOptions). */
  verifySignatures?: boolean;
  /** Enforce the SQS FIFO throughput quotas (default true); false passes --no-quotas to the daemon. */
  quotas?: boolean;
  /** Integrate each connection's frames in arrival order; true passes --ordered-frames to the daemon. */
  orderedFrames?: boolean;
  timeoutMs?: number;
}

export interface DaemonStartResult {
  state: DaemonState;
  /** True when an instance was already serving this data directory (nothing was started). */
  alreadyRunning: boolean;
  /** Set when a daemon.json of a dead process was found and replaced. */
  replacedStale?: DaemonState;
}

/** bin/wsq.js of this installation (the same relative place from src/ and from dist/). */
function wsqBinPath(): string {
  return fileURLToPath(new URL("../../../bin/wsq.js", import.meta.url));
}

export function tailLines(text: string, count: number): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return count <= 0 ? [] : lines.slice(-count);
}

function logTail(dataDir: string, fromByte: number): string {
  try {
    const text = readFileSync(daemonLogPath(dataDir)).subarray(fromByte).toString("utf8");
    return tailLines(text, LOG_LINES_ON_FAILURE).join("\n");
  } catch {
    return "";
  }
}

function logSize(dataDir: string): number {
  try {
    return readFileSync(daemonLogPath(dataDir)).length;
  } catch {
    return 0;
  }
}

/** How often a start that lost a race checks whether the winner is up (no event crosses processes). */
const RACE_POLL_MS = 100;

async function waitForInstance(dataDir: string, timeoutMs: number): Promise<DaemonState | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const probe = await probeInstance(dataDir);
    if (probe.kind === "running") return probe.state;
    const owner = readLockOwner(dataDir);
    if (owner === undefined || !isProcessAlive(owner)) return undefined;
    await new Promise((resolve) => setTimeout(resolve, RACE_POLL_MS));
  }
  return undefined;
}

type ChildOutcome = StartupReport | { type: "exited"; code: number | null; signal: NodeJS.Signals | null } | { type: "timeout" };

/**
 * Starts the local cloud as a background process (`wsq local start --foreground` detached, its
 * output appended to the log in the data directory), waits until it reports that it listens and
 * answers its health check, and returns where it runs. If an instance already serves the data
 * directory, returns that one instead. A failed start throws the child's own error.
 */
export async function startDaemon(options: DaemonStartOptions): Promise<DaemonStartResult> {
  ensureDataDir(options.dataDir);
  const existing = await probeInstance(options.dataDir);
  if (existing.kind === "running") return { state: existing.state, alreadyRunning: true };
  if (existing.kind === "unresponsive") {
    throw new WsqError(
      "LOCAL_UNRESPONSIVE",
      `A local cloud process (pid ${existing.state.pid}) holds ${options.dataDir} but does not answer at ${existing.state.url}.`,
      { hint: "Stop it with `wsq local stop` (it is killed if it does not exit), then start again." },
    );
  }

  rotateLogIfLarge(options.dataDir);
  const logPath = daemonLogPath(options.dataDir);
  const logStart = logSize(options.dataDir);
  let logFd: number;
  try {
    logFd = openSync(logPath, "a", 0o600);
  } catch (error) {
    throw new WsqError("DATA_DIR_UNUSABLE", `Cannot write the local cloud's log ${logPath}: ${(error as Error).message}`, {
      hint: "Pass a writable directory with --data-dir, or set WSQ_HOME to one.",
      cause: error,
    });
  }
  const args = [
    wsqBinPath(),
    "local",
    "start",
    "--foreground",
    "--daemon-child",
    "--data-dir",
    options.dataDir,
    "--port",
    String(options.port),
    "--host",
    options.host,
    "--region",
    options.region,
    ...(options.verifySignatures === true ? ["--verify-signatures"] : []),
    ...(options.quotas === false ? ["--no-quotas"] : []),
    ...(options.orderedFrames === true ? ["--ordered-frames"] : []),
  ];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ["ignore", logFd, logFd, "ipc"],
    // The daemon must not keep the user's working directory busy (an unmount, a deleted folder).
    cwd: options.dataDir,
    env: { ...process.env, NO_COLOR: "1" },
  });
  closeSync(logFd);

  const outcome = await new Promise<ChildOutcome>((resolve) => {
    const timer = setTimeout(() => resolve({ type: "timeout" }), options.timeoutMs ?? DAEMON_START_TIMEOUT_MS);
    const done = (value: ChildOutcome): void => {
      clearTimeout(timer);
      resolve(value);
    };
    child.on("message", (message) => {
      if (isStartupReport(message)) done(message);
    });
    child.once("exit", (code, signal) => done({ type: "exited", code, signal }));
    child.once("error", (error) =>
      done({ type: "failed", code: "START_FAILED", message: `Cannot start the local cloud process: ${error.message}`, hint: undefined }),
    );
  });
  child.removeAllListeners("message");
  if (child.connected) child.disconnect();
  child.unref();

  switch (outcome.type) {
    case "ready": {
      const health = await fetchHealth(outcome.state.url);
      if (health === undefined || health.pid !== outcome.state.pid) {
        throw new WsqError("START_FAILED", `The local cloud started (pid ${outcome.state.pid}) but does not answer at ${outcome.state.url}.`, {
          hint: `See ${logPath}, then run \`wsq local stop\` and start again.`,
        });
      }
      if (outcome.alreadyRunning === true) return { state: outcome.state, alreadyRunning: true };
      return { state: outcome.state, alreadyRunning: false, ...(existing.kind === "stale" ? { replacedStale: existing.state } : {}) };
    }
    case "failed": {
      if (outcome.code === "LOCAL_STARTING") {
        // Lost a race with another start for the same data directory: that one is the instance.
        const other = await waitForInstance(options.dataDir, options.timeoutMs ?? DAEMON_START_TIMEOUT_MS);
        if (other !== undefined) return { state: other, alreadyRunning: true };
      }
      throw new WsqError(outcome.code, outcome.message, { hint: outcome.hint ?? `See ${logPath}.` });
    }
    case "exited": {
      const tail = logTail(options.dataDir, logStart);
      const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
      throw new WsqError("START_FAILED", `The local cloud process ${how} during start-up.${tail ? `\nLast lines of ${logPath}:\n${tail}` : ""}`, {
        hint: `See ${logPath}; \`wsq local start --foreground\` shows the same output in the terminal.`,
      });
    }
    case "timeout": {
      if (child.pid !== undefined) {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      const tail = logTail(options.dataDir, logStart);
      throw new WsqError(
        "START_TIMEOUT",
        `The local cloud did not report ready within ${Math.round((options.timeoutMs ?? DAEMON_START_TIMEOUT_MS) / 1000)} s and was stopped.${tail ? `\nLast lines of ${logPath}:\n${tail}` : ""}`,
        { hint: `See ${logPath}; \`wsq local start --foreground\` shows the same output in the terminal.` },
      );
    }
  }
}
