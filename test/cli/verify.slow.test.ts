import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { VerifyReport } from "../../src/verify/run-verify.js";
import { killRecorded } from "./local-helpers.js";
import { wsqInProcess, type CliRun } from "../helpers/wsq-in-process.js";

/** The commands in-process (test/helpers/wsq-in-process.ts); the local cloud they start is its own process. */
const runWsq = (args: string[], home: string, _timeoutMs?: number): Promise<CliRun> => wsqInProcess(args, { home });

// `wsq verify` on the local target (the commands in-process, the local cloud from the built
// binary): every assumption must hold on the local cloud as `wsq local start` runs it, and the
// checks must catch a local cloud started unlike AWS. About 20 s per run on the 2-core machine.

const homes: string[] = [];
afterEach(async () => {
  for (const home of homes.splice(0)) {
    await runWsq(["local", "stop"], home);
    killRecorded(join(home, "local"));
    rmSync(home, { recursive: true, force: true });
  }
}, 30_000);

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), "wsq-verify-"));
  homes.push(dir);
  return dir;
}

const RUN_MS = 180_000;

describe("wsq verify on the local target", () => {
  it(
    "deploys its own stack, finds every assumption held, and removes the stack, the asset stack and the local cloud it started",
    async () => {
      const dir = home();
      const run = await runWsq(["verify", "--json"], dir, RUN_MS);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as VerifyReport;
      expect(report.checks.filter((c) => !c.held)).toEqual([]);
      expect(report.checks.length).toBeGreaterThanOrEqual(14);
      expect(report).toMatchObject({ target: "local", stackName: "wsq-verify", deployed: { stack: true, assets: true }, ok: true });
      expect(report.removed).toEqual(["wsq-verify", "wsq-assets"]);
      expect(report.observations.local).toEqual({ quotas: true, orderedFrames: false });
      // Throttling was really exercised, and seen by the client as the gateway's error frame.
      expect(report.observations.bursts.aboveQuota.throttledAtQueue).toBeGreaterThan(0);
      // verify started the local cloud for itself (none ran), and stopped it again.
      const status = await runWsq(["local", "status"], dir);
      expect(status.code).toBe(1);
      expect(status.stdout).toContain("not running");
    },
    RUN_MS,
  );

  it(
    "uses a deployed stack and leaves it; on a local cloud started unlike AWS the checks that depend on it do not hold (exit 3)",
    async () => {
      const dir = home();
      const start = await runWsq(["local", "start", "--port", "0", "--no-quotas", "--ordered-frames"], dir);
      expect(start.code, start.stderr).toBe(0);
      const deploy = await runWsq(["deploy", "--stack-name", "mine", "--yes"], dir, RUN_MS);
      expect(deploy.code, deploy.stderr).toBe(0);

      const run = await runWsq(["verify", "--stack-name", "mine"], dir, RUN_MS);
      expect(run.code, run.stderr).toBe(3);
      expect(run.stdout).toContain("wsq verify: stack mine on local");
      expect(run.stdout).toContain("note: this local cloud runs with --no-quotas and --ordered-frames, which AWS does not do");
      // Without quotas nothing is throttled, so the assumptions about throttling cannot be seen to hold.
      expect(run.stdout).toMatch(/✗ Above 300 SendMessage calls in a second[^\n]*\n\s+expected[^\n]*\n\s+seen\s+900 of 900 answered/);
      expect(run.stdout).toMatch(/\n\s+ledger\s+docs\/sqs\.md § FIFO throughput quotas; docs\/burst\.md § Fidelity ledger/);
      expect(run.stdout).toMatch(/2 of 16 did not hold: quota-above, throttle-error-frame\./);
      // Ordered frames: none reached the queue out of send order.
      expect(run.stdout).toMatch(/i How often frames sent together[^\n]*\n[^\n]*\n\s+seen\s+0 of 50 reached the queue out of send order/);
      // The stack was the user's: still there.
      const status = await runWsq(["status", "--stack-name", "mine"], dir);
      expect(status.code, status.stderr).toBe(0);
      expect(run.stdout).not.toContain("Removed what verify created");
    },
    RUN_MS * 2,
  );
});
