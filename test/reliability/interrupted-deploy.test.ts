import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { DaemonState } from "../../src/local/daemon/state.js";
import { LOCAL_CREDENTIALS } from "../../src/shared/target.js";
import { killRecorded, runWsq, spawnWsq, waitForExit, waitForOutput } from "../cli/local-helpers.js";
import { tempDir } from "../helpers/local-cloud.js";
import { eventually } from "../helpers/eventually.js";

// `wsq deploy` and `wsq destroy` killed with -9 half-way, then run again: CloudFormation (the
// local cloud) carries on without the client, and running the command again converges.

const home = tempDir("wsq-interrupted-");
afterAll(async () => {
  await runWsq(["local", "stop"], home);
  killRecorded(`${home}/local`);
  rmSync(home, { recursive: true, force: true });
}, 30_000);

/** A stack operation the client no longer follows finishes within this (its test allows 240 s in all). */
const SETTLE_LIMIT_MS = 120_000;

/** The stack's status once it leaves *_IN_PROGRESS ("NONE" when there is no stack). */
function settled(cfn: CloudFormationClient, stackName: string): Promise<string> {
  return eventually(
    async () => {
      let status: string;
      try {
        status = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.StackStatus ?? "NONE";
      } catch {
        return "NONE";
      }
      return !status.endsWith("_IN_PROGRESS") && status;
    },
    `stack ${stackName} to settle`,
    SETTLE_LIMIT_MS,
    100,
  );
}

describe("interrupted deploy and destroy", () => {
  it("converges when run again after kill -9 of the wsq process", async () => {
    const started = await runWsq(["local", "start", "--port", "0", "--json"], home);
    expect(started.code, started.stderr).toBe(0);
    const state = JSON.parse(started.stdout) as DaemonState;
    const cfn = new CloudFormationClient({ endpoint: state.url, region: state.region, credentials: LOCAL_CREDENTIALS });
    try {
      // Kill the deploy once CloudFormation is creating the pattern's resources (the asset stack,
      // with its bucket, comes first).
      const deploy = spawnWsq(["deploy", "--yes"], home);
      await waitForOutput(deploy.stderr!, (text) => /CREATE_IN_PROGRESS\s+AWS::SQS::Queue/.test(text));
      deploy.kill("SIGKILL");
      expect(await waitForExit(deploy)).toMatchObject({ signal: "SIGKILL" });
      // The stack finishes without the client; deploying again is a clean no-op.
      expect(await settled(cfn, "wsq")).toBe("CREATE_COMPLETE");
      const again = await runWsq(["deploy", "--yes"], home, 90_000);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout + again.stderr).toMatch(/no changes/i);

      // Kill the destroy once the deletion has begun; destroying again finds nothing left to do.
      const destroy = spawnWsq(["destroy", "--yes"], home);
      await waitForOutput(destroy.stderr!, (text) => /DELETE_IN_PROGRESS\s+AWS::/.test(text));
      destroy.kill("SIGKILL");
      await waitForExit(destroy);
      await settled(cfn, "wsq");
      const destroyAgain = await runWsq(["destroy", "--yes"], home, 90_000);
      expect(destroyAgain.code, destroyAgain.stderr).toBe(0);
      expect(await settled(cfn, "wsq")).toBe("NONE");
    } finally {
      cfn.destroy();
    }
  }, 240_000);

  it("stops following on Ctrl-C with exit 130 and says how to check; running again converges", async () => {
    const state = JSON.parse((await runWsq(["local", "status", "--json"], home)).stdout) as DaemonState;
    const cfn = new CloudFormationClient({ endpoint: state.url, region: state.region, credentials: LOCAL_CREDENTIALS });
    try {
      const deploy = spawnWsq(["deploy", "--yes", "--stack-name", "ctrlc"], home);
      let printed = "";
      deploy.stdout!.on("data", (chunk: Buffer) => (printed += chunk.toString("utf8")));
      deploy.stderr!.on("data", (chunk: Buffer) => (printed += chunk.toString("utf8")));
      await waitForOutput(deploy.stderr!, (text) => /CREATE_IN_PROGRESS\s+AWS::SQS::Queue/.test(text));
      deploy.kill("SIGINT");
      const exit = await waitForExit(deploy);
      // On a very slow machine the stack may complete before the interrupt is seen: exit 0, or
      // 130 after the deploy's own summary (the interrupt came after following ended).
      const finishedFirst = /Next: wsq connect --stack-name ctrlc/.test(printed);
      if (!finishedFirst) {
        expect(exit).toMatchObject({ code: 130 });
        expect(printed).toMatch(/Stopped following stack ctrlc; CloudFormation carries on/);
        expect(printed).toContain("wsq status --stack-name ctrlc");
      } else {
        expect([0, 130]).toContain(exit.code);
      }
      expect(await settled(cfn, "ctrlc")).toBe("CREATE_COMPLETE");
      const again = await runWsq(["deploy", "--yes", "--stack-name", "ctrlc"], home, 90_000);
      expect(again.code, again.stderr).toBe(0);

      const destroy = spawnWsq(["destroy", "--yes", "--stack-name", "ctrlc"], home);
      await waitForOutput(destroy.stderr!, (text) => /DELETE_IN_PROGRESS\s+AWS::/.test(text));
      destroy.kill("SIGINT");
      expect([0, 130]).toContain((await waitForExit(destroy)).code);
      await settled(cfn, "ctrlc");
      const destroyAgain = await runWsq(["destroy", "--yes", "--stack-name", "ctrlc"], home, 90_000);
      expect(destroyAgain.code, destroyAgain.stderr).toBe(0);
      expect(await settled(cfn, "ctrlc")).toBe("NONE");
    } finally {
      cfn.destroy();
    }
  }, 240_000);

  it("kill -9 of the local cloud mid-deploy: the restart rolls the stack back, wsq names each next step, and it converges", async () => {
    const before = JSON.parse((await runWsq(["local", "status", "--json"], home)).stdout) as DaemonState;
    const deploy = spawnWsq(["deploy", "--yes", "--stack-name", "crash"], home);
    const said = waitForOutput(deploy.stderr!, (text) => text.includes("Fix:")).catch(() => "");
    await waitForOutput(deploy.stderr!, (text) => /CREATE_IN_PROGRESS\s+AWS::SQS::Queue/.test(text));
    process.kill(before.pid, "SIGKILL");
    // The client loses its endpoint: exit 1, naming the cause and the fix.
    expect((await waitForExit(deploy)).code).toBe(1);
    expect(await said).toMatch(/(Nothing answers at the endpoint|The endpoint dropped the connection)[\s\S]*wsq local (start|status)/);

    // Restarted on the same data and port, the local cloud rolls the interrupted create back
    // (as CloudFormation would after a failure) and says why.
    const restarted = await runWsq(["local", "start", "--port", String(before.port), "--json"], home);
    expect(restarted.code, restarted.stderr).toBe(0);
    const state = JSON.parse(restarted.stdout) as DaemonState;
    const cfn = new CloudFormationClient({ endpoint: state.url, region: state.region, credentials: LOCAL_CREDENTIALS });
    try {
      const settledAs = await settled(cfn, "crash");
      // The kill lands while the queues are being created; only a machine fast enough to finish
      // the other eight resources first would see the create complete instead.
      expect(["ROLLBACK_COMPLETE", "CREATE_COMPLETE"]).toContain(settledAs);
      if (settledAs === "ROLLBACK_COMPLETE") await convergeAfterRollback();
      const talk = await runWsq(["connect", "--stack-name", "crash", "--json", "--execute", '{"data":"after the crash"}'], home, 60_000);
      expect(talk.code, talk.stderr).toBe(0);
      expect(talk.stdout).toContain("after the crash");
    } finally {
      cfn.destroy();
    }
  }, 240_000);
});

/**
 * After a rolled-back first create: status says why; one `wsq deploy` then converges. It deletes
 * the empty stack (CloudFormation cannot update a ROLLBACK_COMPLETE one) after saying why its
 * create failed, and creates the stack again at once: CloudFormation names the new queues afresh,
 * so SQS's minute-long refusal of the names the rollback deleted does not apply.
 */
async function convergeAfterRollback(): Promise<void> {
  const status = await runWsq(["status", "--stack-name", "crash"], home);
  expect(status.stdout + status.stderr).toMatch(/local cloud stopped while this operation was in progress/);
  const again = await runWsq(["deploy", "--yes", "--stack-name", "crash"], home, 150_000);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain(
    "Stack crash failed to create earlier and was rolled back (ROLLBACK_COMPLETE), so it holds no resources: deleting it to create it again.",
  );
  expect(again.stderr).not.toContain("Waiting");
  expect(again.stderr).not.toContain("QueueDeletedRecently");
}
