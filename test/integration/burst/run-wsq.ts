import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The built binary (`npm run build` first): tests drive wsq the way a user does. */
export const WSQ_BIN = join(import.meta.dirname, "../../../bin/wsq.js");

export interface WsqRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tempHome(prefix = "wsq-burst-home-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface WsqOptions {
  home?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with the child and each chunk of stderr, e.g. to send SIGINT at a given moment. */
  onStderr?: (child: ChildProcess, text: string) => void;
}

/** Run `wsq ARGS` to completion without a terminal; NO_COLOR unset, CI unset, so plain output is what a pipe gets. */
export function runWsq(args: string[], options: WsqOptions = {}): Promise<WsqRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, WSQ_HOME: options.home ?? tempHome(), ...options.env };
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [WSQ_BIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
    options.onStderr?.(child, stderr);
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
