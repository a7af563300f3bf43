import { execFile, spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { readDaemonState, isProcessAlive } from "../../src/local/daemon/state.js";

export const WSQ_BIN = fileURLToPath(new URL("../../bin/wsq.js", import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built binary (`npm run build` first) with a private WSQ_HOME; bounded in time. */
export function runWsq(args: string[], wsqHome: string, timeoutMs = 45_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [WSQ_BIN, ...args],
      { env: { ...process.env, WSQ_HOME: wsqHome, NO_COLOR: "1", CI: "true" }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function spawnWsq(args: string[], wsqHome: string): ChildProcess {
  return spawn(process.execPath, [WSQ_BIN, ...args], {
    env: { ...process.env, WSQ_HOME: wsqHome, NO_COLOR: "1", CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Resolves with everything the stream printed once `predicate` holds for it. */
export function waitForOutput(stream: NodeJS.ReadableStream, predicate: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer): void => {
      text += chunk.toString("utf8");
      if (predicate(text)) {
        stream.off("data", onData);
        resolve(text);
      }
    };
    stream.on("data", onData);
    stream.once("end", () => reject(new Error(`stream ended before the expected output; got:\n${text}`)));
  });
}

export function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}

/** Last resort in afterEach: whatever a failed test left running in this data dir is killed. */
export function killRecorded(dataDir: string): void {
  const state = readDaemonState(dataDir);
  if (state && state.pid !== process.pid && isProcessAlive(state.pid)) {
    try {
      process.kill(state.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}
