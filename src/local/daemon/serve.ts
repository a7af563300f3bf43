import { createWriteStream, type WriteStream } from "node:fs";
import { startLocalCloud, type LocalCloud } from "../server/local-cloud.js";
import { createLineLogger } from "../server/logger.js";
import type { LocalLogger } from "../context.js";
import { VERSION } from "../../shared/version.js";
import { WsqError, isWsqError } from "../../shared/errors.js";
import { daemonLogPath, removeDaemonState, writeDaemonState, writeLastPort, type DaemonState } from "./state.js";
import { ensureDataDir, rotateLogIfLarge } from "./data-dir.js";
import { probeInstance } from "./instance.js";
import { reportStartupToParent } from "./startup-report.js";
import { acquireDataDirLock } from "./lock.js";
import { testFaultsFromEnv } from "../server/test-faults.js";

export interface ServeOptions {
  dataDir: string;
  port: number;
  host: string;
  region: string;
  verifySignatures?: boolean;
  /** Enforce the SQS FIFO throughput quotas (LocalCloudOptions.quotas); false for `--no-quotas`. */
  quotas: boolean;
  /** Integrate each connection's frames in arrival order (LocalCloudOptions.orderedFrames; `--ordered-frames`). */
  orderedFrames?: boolean;
  /** The environment test hooks are read from (docs/local.md, "Test hooks"); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /**
   * "daemon": spawned by `wsq local start`; stdout/stderr already go to the log file and the
   * outcome of start-up is reported to the parent over IPC. "foreground": run by the user in a
   * terminal; log lines go to stderr and to the log file.
   */
  mode: DaemonState["mode"];
}

export interface ServingLocalCloud {
  cloud: LocalCloud;
  state: DaemonState;
  log: LocalLogger;
  /** Graceful: in-flight requests and writes finish, the database closes, daemon.json goes. */
  stop(): Promise<void>;
}

/** The result when another instance already serves this data directory. */
export interface AlreadyRunning {
  alreadyRunning: DaemonState;
}

function openLog(options: ServeOptions): { log: LocalLogger; close: () => Promise<void> } {
  if (options.mode === "daemon") {
    // The parent opened the log file as this process's stdout/stderr (O_APPEND); writes to a
    // file through process.stderr are synchronous, so nothing is lost if the process dies.
    return { log: createLineLogger((line) => process.stderr.write(line)), close: async () => {} };
  }
  rotateLogIfLarge(options.dataDir);
  const stream: WriteStream = createWriteStream(daemonLogPath(options.dataDir), { flags: "a", mode: 0o600 });
  stream.on("error", () => undefined);
  const log = createLineLogger((line) => {
    stream.write(line);
    process.stderr.write(line);
  });
  return { log, close: () => new Promise<void>((resolve) => stream.end(() => resolve())) };
}

/**
 * Runs the local cloud in this process: refuses a second instance on the same data directory,
 * starts the server, and records it in daemon.json (atomically, after it listens, so that a
 * reader that finds the file can connect). Start-up failures are reported to a waiting parent.
 */
export async function serveLocalCloud(options: ServeOptions): Promise<ServingLocalCloud | AlreadyRunning> {
  try {
    ensureDataDir(options.dataDir);
    const existing = await probeInstance(options.dataDir);
    if (existing.kind === "running") return await reportAlreadyRunning(options, existing.state);
    if (existing.kind === "unresponsive") {
      throw new WsqError(
        "LOCAL_UNRESPONSIVE",
        `A local cloud process (pid ${existing.state.pid}) holds ${options.dataDir} but does not answer at ${existing.state.url}.`,
        { hint: "Stop it with `wsq local stop` (it is killed if it does not exit), then start again." },
      );
    }
    const lock = acquireDataDirLock(options.dataDir);
    if (!lock.acquired) {
      const now = await probeInstance(options.dataDir);
      if (now.kind === "running") return await reportAlreadyRunning(options, now.state);
      throw new WsqError("LOCAL_STARTING", `Another local cloud process (pid ${lock.owner}) is starting for ${options.dataDir}.`, {
        hint: "Wait a moment and run `wsq local status`; one local cloud serves a data directory at a time.",
      });
    }
    const { log, close: closeLog } = openLog(options);
    if (existing.kind === "stale") {
      log.log("warn", "replaced a stale daemon.json whose process is gone", { pid: existing.state.pid });
    }
    let cloud: LocalCloud;
    try {
      const testFaults = testFaultsFromEnv(options.env ?? process.env);
      cloud = await startLocalCloud({
        ...(testFaults ? { testFaults } : {}),
        dataDir: options.dataDir,
        port: options.port,
        host: options.host,
        region: options.region,
        log,
        verifySignatures: options.verifySignatures === true,
        quotas: options.quotas,
        orderedFrames: options.orderedFrames === true,
      });
    } catch (error) {
      log.log("error", "the local cloud could not start", { error: (error as Error).message });
      lock.release();
      await closeLog();
      throw error;
    }
    const state: DaemonState = {
      pid: process.pid,
      port: cloud.port,
      host: cloud.host,
      url: cloud.url,
      region: cloud.region,
      dataDir: options.dataDir,
      version: VERSION,
      startedAt: new Date().toISOString(),
      mode: options.mode,
      quotas: cloud.quotas,
      orderedFrames: cloud.orderedFrames,
    };
    writeDaemonState(state);
    writeLastPort(options.dataDir, cloud.port);
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        try {
          await cloud.stop();
        } finally {
          removeDaemonState(options.dataDir, process.pid);
          lock.release();
          await closeLog();
        }
      })();
      return stopping;
    };
    if (options.mode === "daemon") await reportStartupToParent({ type: "ready", state });
    return { cloud, state, log, stop };
  } catch (error) {
    if (options.mode === "daemon") {
      const known = isWsqError(error);
      await reportStartupToParent({
        type: "failed",
        code: known ? error.code : "START_FAILED",
        message: known ? error.message : `The local cloud could not start: ${(error as Error).message}`,
        hint: known ? error.hint : undefined,
      });
    }
    throw error;
  }
}

async function reportAlreadyRunning(options: ServeOptions, state: DaemonState): Promise<AlreadyRunning> {
  if (options.mode === "daemon") await reportStartupToParent({ type: "ready", state, alreadyRunning: true });
  return { alreadyRunning: state };
}

/** Resolves with the first stop signal; the handlers are removed afterwards. */
export function waitForStopSignal(also?: Promise<void>): Promise<string> {
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];
  return new Promise((resolve) => {
    const handlers = new Map<NodeJS.Signals, () => void>();
    const finish = (reason: string): void => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      resolve(reason);
    };
    for (const signal of signals) {
      const handler = (): void => finish(signal);
      handlers.set(signal, handler);
      process.on(signal, handler);
    }
    also?.then(
      () => finish("SIGINT"),
      () => undefined,
    );
  });
}
