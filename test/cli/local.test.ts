import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:net";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/local-cloud.js";
import { isProcessAlive, readDaemonState, type DaemonState } from "../../src/local/daemon/state.js";
import { startWsqInProcess, wsqInProcess, type CliRun } from "../helpers/wsq-in-process.js";
import { killRecorded, runWsq, spawnWsq, waitForExit, waitForOutput } from "./local-helpers.js";

// The commands run in-process (test/helpers/wsq-in-process.ts); the daemon they start is its own
// process, started from the built binary (`npm run build`), as for a user. What needs the binary
// itself spawns it: two starts racing from two processes, and the foreground mode, which serves in
// the CLI's own process until a signal.
describe("wsq local", () => {
  let home: string;
  let dataDir: string;
  const wsq = (args: string[]): Promise<CliRun> => wsqInProcess(args, { home });

  beforeEach(() => {
    home = tempDir("wsq-local-cli-");
    dataDir = join(home, "local");
  });

  afterEach(async () => {
    await wsq(["local", "stop"]);
    killRecorded(dataDir);
    rmSync(home, { recursive: true, force: true });
  });

  it("starts a daemon, reports it, refuses to start it twice, and stops it gracefully", async () => {
    const started = await wsq(["local", "start", "--port", "0", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    const instance = JSON.parse(started.stdout) as DaemonState & { logFile: string; alreadyRunning: boolean };
    expect(instance.alreadyRunning).toBe(false);
    expect(instance.port).toBeGreaterThan(0);
    expect(instance.url).toBe(`http://127.0.0.1:${instance.port}`);
    expect(instance.dataDir).toBe(dataDir);
    expect(instance.pid).not.toBe(process.pid);
    expect(readDaemonState(dataDir)).toMatchObject({ pid: instance.pid, port: instance.port, mode: "daemon", quotas: true, orderedFrames: false });

    const health = (await (await fetch(`${instance.url}/_wsq/health`)).json()) as { pid: number; dataDir: string };
    expect(health).toMatchObject({ pid: instance.pid, dataDir, quotas: true });

    const status = await wsq(["local", "status", "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, pid: instance.pid, url: instance.url, dataDir, quotas: true });

    const human = await wsq(["local", "status"]);
    expect(human.stdout).toContain("running");
    expect(human.stdout).toContain(instance.url);
    expect(human.stdout).toMatch(/quotas\s+SQS FIFO throughput enforced, as on AWS/);
    expect(human.stdout).toMatch(/frames\s+frames arriving together reach the queue in any order, as AWS allows/);

    const again = await wsq(["local", "start", "--port", "0"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already running");
    expect(again.stdout).toContain(instance.url);
    expect(readDaemonState(dataDir)?.pid).toBe(instance.pid);

    const stopped = await wsq(["local", "stop"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain(`pid ${instance.pid}`);
    expect(isProcessAlive(instance.pid)).toBe(false);
    expect(existsSync(join(dataDir, "daemon.json"))).toBe(false);
    // The daemon logged its graceful stop (SIGTERM handled, not killed).
    expect(readFileSync(join(dataDir, "local.log"), "utf8")).toContain("local cloud stopped");

    const after = await wsq(["local", "status"]);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain("not running");
    const stopAgain = await wsq(["local", "stop"]);
    expect(stopAgain.code).toBe(0);
    expect(stopAgain.stdout).toContain("not running");
    expect(stopAgain.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it("starts with --no-quotas, records it, says so in status, and notes when a start asks for the other setting", async () => {
    const started = await wsq(["local", "start", "--port", "0", "--no-quotas"]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/quotas\s+off: SQS accepts FIFO load that AWS would throttle/);
    const state = readDaemonState(dataDir);
    expect(state).toMatchObject({ mode: "daemon", quotas: false });
    expect(await (await fetch(`${state!.url}/_wsq/health`)).json()).toMatchObject({ quotas: false });
    expect(JSON.parse((await wsq(["local", "status", "--json"])).stdout)).toMatchObject({ running: true, quotas: false });
    expect((await wsq(["local", "status"])).stdout).toMatch(/quotas\s+off/);
    expect(readFileSync(join(dataDir, "local.log"), "utf8")).toContain("SQS FIFO throughput quotas are off (--no-quotas)");

    const again = await wsq(["local", "start"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already running");
    expect(again.stderr).toContain("it runs with quotas off; stop it and start it again to change that.");
  });

  it("starts with --ordered-frames, records it, says so in status, and notes when a start asks for the other setting", async () => {
    const started = await wsq(["local", "start", "--port", "0", "--ordered-frames"]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/frames\s+ordered \(--ordered-frames\)/);
    const state = readDaemonState(dataDir);
    expect(state).toMatchObject({ mode: "daemon", quotas: true, orderedFrames: true });
    expect(await (await fetch(`${state!.url}/_wsq/health`)).json()).toMatchObject({ orderedFrames: true });
    expect(JSON.parse((await wsq(["local", "status", "--json"])).stdout)).toMatchObject({ running: true, orderedFrames: true });
    expect((await wsq(["local", "status"])).stdout).toMatch(/frames\s+ordered/);

    const again = await wsq(["local", "start"]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("it runs with ordered frames; stop it and start it again without --ordered-frames to change that.");
    expect(again.stderr).not.toContain("quotas");
  });

  it("keeps data across a stop and a start on the same data dir", async () => {
    const first = JSON.parse((await wsq(["local", "start", "--port", "0", "--json"])).stdout) as DaemonState;
    // Path-style S3 over plain HTTP: the simplest durable write any client can make.
    expect((await fetch(`${first.url}/kept-bucket`, { method: "PUT" })).status).toBe(200);
    expect((await fetch(`${first.url}/kept-bucket/note.txt`, { method: "PUT", body: "still here" })).status).toBe(200);
    expect((await wsq(["local", "stop"])).code).toBe(0);
    const second = JSON.parse((await wsq(["local", "start", "--port", "0", "--json"])).stdout) as DaemonState;
    expect(second.pid).not.toBe(first.pid);
    expect(await (await fetch(`${second.url}/kept-bucket/note.txt`)).text()).toBe("still here");
  });

  it("listens again on the port it last used when started without --port", async () => {
    const first = JSON.parse((await wsq(["local", "start", "--port", "0", "--json"])).stdout) as DaemonState;
    expect((await wsq(["local", "stop"])).code).toBe(0);
    const again = await wsq(["local", "start", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as DaemonState).port).toBe(first.port);
    const help = await wsq(["local", "start", "--help"]);
    expect(help.stdout.replace(/\s+/g, " ")).toContain("default: the port this data dir last used, else 4510");
  });

  it("starts one instance when two starts race for the same data dir", async () => {
    const [a, b] = await Promise.all([runWsq(["local", "start", "--port", "0", "--json"], home), runWsq(["local", "start", "--port", "0", "--json"], home)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const first = JSON.parse(a.stdout) as DaemonState & { alreadyRunning: boolean };
    const second = JSON.parse(b.stdout) as DaemonState & { alreadyRunning: boolean };
    expect(second.pid).toBe(first.pid);
    expect(second.url).toBe(first.url);
    expect([first.alreadyRunning, second.alreadyRunning].sort()).toEqual([false, true]);
  });

  it("replaces a stale daemon.json whose process is gone", async () => {
    mkdirSync(dataDir, { recursive: true });
    // A pid above the kernel's pid_max can never be alive.
    const stale: DaemonState = {
      pid: 2 ** 22 + 12345,
      port: 1,
      host: "127.0.0.1",
      url: "http://127.0.0.1:1",
      region: "us-east-1",
      dataDir,
      version: "0.0.0",
      startedAt: "2020-01-01T00:00:00.000Z",
      mode: "daemon",
    };
    writeFileSync(join(dataDir, "daemon.json"), JSON.stringify(stale));
    const status = await wsq(["local", "status"]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain("stale");

    writeFileSync(join(dataDir, "daemon.json"), JSON.stringify(stale));
    const started = await wsq(["local", "start", "--port", "0"]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toContain("stale");
    const state = readDaemonState(dataDir);
    expect(state?.pid).not.toBe(stale.pid);
    expect(state !== undefined && isProcessAlive(state.pid)).toBe(true);
  });

  it("reports a port in use with the fix, from the background child", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    try {
      const port = (blocker.address() as { port: number }).port;
      const result = await wsq(["local", "start", "--port", String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Port ${port}`);
      expect(result.stderr).toContain("already in use");
      expect(result.stderr).toContain("--port");
      expect(result.stderr).not.toContain("timed out");
      expect(readDaemonState(dataDir)).toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it("reports an unusable data dir with the fix", async () => {
    const file = join(home, "a-file");
    writeFileSync(file, "not a directory");
    const result = await wsq(["local", "start", "--port", "0", "--data-dir", join(file, "data")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cannot be used");
    expect(result.stderr).toContain("--data-dir");
    expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it("reports a damaged database with the fix, in the background and in the foreground", async () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, "wsq.sqlite"), "this is not an SQLite database, it is sixty-odd bytes of text.....");
    for (const extra of [[], ["--foreground"]]) {
      // The foreground mode would serve inside this process: it runs as the binary.
      const args = ["local", "start", "--port", "0", ...extra];
      const result = extra.length === 0 ? await wsq(args) : await runWsq(args, home);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("is damaged");
      expect(result.stderr).toContain("aside");
      expect(readDaemonState(dataDir)).toBeUndefined();
    }
  });

  it("warns when asked to listen beyond loopback", async () => {
    const result = await wsq(["local", "start", "--port", "0", "--host", "0.0.0.0"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("Warning");
    expect(result.stderr).toContain("0.0.0.0");
  });

  it("refuses a bad --port as a usage error", async () => {
    const result = await wsq(["local", "start", "--port", "http"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--port");
  });

  it("prints and follows the log", async () => {
    const none = await wsq(["local", "logs"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("wsq local start");

    const started = JSON.parse((await wsq(["local", "start", "--port", "0", "--json"])).stdout) as DaemonState;
    const logs = await wsq(["local", "logs", "--lines", "1"]);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split("\n")).toHaveLength(1);
    expect(logs.stdout).toContain(started.url);

    const follower = startWsqInProcess(["local", "logs", "--follow", "--lines", "1"], { home });
    try {
      // Once the follower has printed the last line it is following from the end of the log (a
      // stop before that would write its lines before the follower looked, and they would count
      // as history). Stopping the daemon then writes its stop lines.
      const lastLine = (await follower.waitFor("stdout", (text) => text.includes("\n"))).split("\n")[0]!;
      const history = follower.output().stdout.length;
      const followed = follower.waitFor("stdout", (text) => text.slice(history).includes("local cloud stopped"));
      const stopped = await wsq(["local", "stop"]);
      expect(stopped.code).toBe(0);
      const text = (await followed).slice(history);
      expect(text).toContain("SIGTERM");
      expect(text).not.toContain(lastLine);
      follower.interrupt();
      expect(await follower.result).toMatchObject({ code: 0 });
    } finally {
      follower.interrupt();
    }
  });

  it("runs in the foreground (here with --no-quotas) until SIGTERM and cleans up after itself", async () => {
    const child = spawnWsq(["local", "start", "--foreground", "--port", "0", "--no-quotas", "--json"], home);
    try {
      const line = await waitForOutput(child.stdout!, (text) => text.includes("\n"));
      const state = JSON.parse(line) as DaemonState;
      expect(state).toMatchObject({ pid: child.pid, mode: "foreground", quotas: false });
      expect(readDaemonState(dataDir)?.pid).toBe(child.pid);
      expect((await fetch(`${state.url}/_wsq/health`)).status).toBe(200);

      const status = await wsq(["local", "status", "--json"]);
      expect(JSON.parse(status.stdout)).toMatchObject({ running: true, mode: "foreground", pid: child.pid, quotas: false });

      child.kill("SIGTERM");
      expect(await waitForExit(child)).toMatchObject({ code: 0 });
      expect(existsSync(join(dataDir, "daemon.json"))).toBe(false);
      expect(readFileSync(join(dataDir, "local.log"), "utf8")).toContain("local cloud stopped");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
