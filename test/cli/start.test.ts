/**
 * A fast start: `wsq --version` and every `--help` register the commands and load none of their
 * engines (the AWS SDK, the local cloud, SQLite, esbuild, ws…); each action imports its own when
 * it runs. Checked by tracing the modules the built binary resolves, not by timing it (the time
 * is in bench/cli-start.bench.mjs).
 */
import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/local-cloud.js";
import { WSQ_BIN } from "./local-helpers.js";

const TRACE_HOOK = fileURLToPath(new URL("../helpers/trace-modules.mjs", import.meta.url));
const home = tempDir("wsq-start-");
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** The modules `wsq ARGS` resolved, and its exit code and output. */
function traceWsq(args: string[], traceName: string): Promise<{ code: number; stdout: string; modules: string[] }> {
  const traceFile = join(home, `${traceName}.trace`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", TRACE_HOOK, WSQ_BIN, ...args],
      { env: { ...process.env, WSQ_HOME: home, NO_COLOR: "1", WSQ_MODULE_TRACE: traceFile }, timeout: 20_000 },
      (error, stdout) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, modules: readFileSync(traceFile, "utf8").trim().split("\n") });
      },
    );
  });
}

/** What an engine loads; none of it belongs in registering the commands. */
const HEAVY = [
  /node_modules\/@aws-sdk\//,
  /node_modules\/@smithy\//,
  /node_modules\/better-sqlite3\//,
  /node_modules\/esbuild\//,
  /node_modules\/velocityjs\//,
  /node_modules\/ws\//,
  /node_modules\/yaml\//,
  /node_modules\/ora\//,
  /\/dist\/(local|deploy|client|handler)\//,
  /\/dist\/cli\/actions\//,
];

describe("wsq start-up (built binary)", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["version", ["--version"], /^\d+\.\d+\.\d+/],
    ["help", ["--help"], /Usage: wsq/],
    ["deploy-help", ["deploy", "--help"], /--parameter <KEY=VALUE>/],
    ["local-start-help", ["local", "start", "--help"], /--verify-signatures/],
    ["burst-help", ["burst", "--help"], /--connect-timeout <seconds>/],
  ];
  it.each(cases)("wsq %s loads the command registrations only", async (name, args, printed) => {
    const run = await traceWsq(args, name);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(printed);
    // The trace worked: the registrations themselves were resolved.
    expect(run.modules.some((url) => url.endsWith("/dist/cli/commands/deploy.js"))).toBe(true);
    expect(run.modules.filter((url) => HEAVY.some((pattern) => pattern.test(url)))).toEqual([]);
  });

  it("a command's action still loads its engine when it runs", async () => {
    const run = await traceWsq(["local", "status", "--data-dir", join(home, "nothing-here")], "local-status");
    expect(run.code).toBe(1);
    expect(run.modules.some((url) => url.endsWith("/dist/cli/actions/local-status.js"))).toBe(true);
    expect(run.modules.some((url) => url.endsWith("/dist/local/daemon/index.js"))).toBe(true);
  });
});

describe("a reader that closes the pipe early", () => {
  it("ends wsq quietly (`wsq burst --help | head -1`): exit 0, no stack trace", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [WSQ_BIN, "burst", "--help"], {
      env: { ...process.env, WSQ_HOME: home, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Gone before wsq writes: its first write to stdout fails with EPIPE.
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(code).toBe(0);
  });
});
