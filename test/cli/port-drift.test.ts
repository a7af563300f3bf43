import { createServer } from "node:net";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { StatusResult } from "../../src/deploy/status.js";
import type { DaemonState } from "../../src/local/daemon/state.js";
import { tempDir } from "../helpers/local-cloud.js";
import { wsqInProcess, type CliRun } from "../helpers/wsq-in-process.js";
import { killRecorded } from "./local-helpers.js";

// A stack's URLs name the port the local cloud listened on when it was created (as an API's
// endpoint on AWS never changes). The commands in-process, the daemon from the built binary
// (`npm run build` first): the data dir keeps its port, and a start on another one makes status
// and deploy say what broke and how out.

const home = tempDir("wsq-port-drift-");
const STEP_MS = 90_000;
const runWsq = (args: string[], wsqHome: string): Promise<CliRun> => wsqInProcess(args, { home: wsqHome });

afterAll(async () => {
  await runWsq(["local", "stop"], home);
  killRecorded(join(home, "local"));
  rmSync(home, { recursive: true, force: true });
}, 30_000);

/** A free loopback port other than `not`. */
async function freePortOtherThan(not: number): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (port !== not) return port;
  }
}

async function startOn(port: number | undefined): Promise<DaemonState> {
  const started = await runWsq(["local", "start", ...(port === undefined ? [] : ["--port", String(port)]), "--json"], home);
  expect(started.code, started.stderr).toBe(0);
  return JSON.parse(started.stdout) as DaemonState;
}

describe("a local stack and the port it was deployed on", () => {
  it(
    "keeps working across restarts without --port, and names both fixes when the port changed",
    async () => {
      const first = await startOn(0);
      const deployed = await runWsq(["deploy", "--yes"], home);
      expect(deployed.code, deployed.stderr).toBe(0);
      expect((await runWsq(["local", "stop"], home)).code).toBe(0);

      // Without --port the data dir's last port comes back, and the stack with it.
      expect((await startOn(undefined)).port).toBe(first.port);
      const healthy = await runWsq(["status", "--json"], home);
      expect(healthy.code, healthy.stderr).toBe(0);
      expect((JSON.parse(healthy.stdout) as StatusResult).problem).toBeUndefined();
      expect((await runWsq(["local", "stop"], home)).code).toBe(0);

      const other = await freePortOtherThan(first.port);
      await startOn(other);
      const status = await runWsq(["status"], home);
      expect(status.code).toBe(1);
      expect(status.stdout).toContain(`was deployed while the local cloud listened on port ${first.port}; it now listens on ${other}`);
      expect(status.stdout).toContain(`wsq local start --port ${first.port}`);
      const statusJson = JSON.parse((await runWsq(["status", "--json"], home)).stdout) as StatusResult;
      expect(statusJson.problem?.code).toBe("STACK_ON_OTHER_PORT");

      // Deploying again cannot move an existing stack's endpoints: refused before changing anything.
      const redeploy = await runWsq(["deploy", "--yes"], home);
      expect(redeploy.code).toBe(1);
      expect(redeploy.stderr).toContain(`still name ${first.port}`);
      expect(redeploy.stderr).not.toContain("Creating a change set");
      expect(redeploy.stderr).not.toMatch(/\bat .*\.js:\d+/);

      // The first fix works.
      expect((await runWsq(["local", "stop"], home)).code).toBe(0);
      await startOn(first.port);
      const fixed = await runWsq(["status"], home);
      expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
      expect(fixed.stdout).not.toContain("was deployed while");
    },
    4 * STEP_MS,
  );
});
