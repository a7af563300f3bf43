import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWsq } from "../helpers/fake-pattern-server.js";

// `wsq connect` against the real local target: the pattern deployed by `wsq deploy` on a local
// cloud in a private WSQ_HOME, the URL found through CloudFormation by stack name.

const home = mkdtempSync(join(tmpdir(), "wsq-connect-local-"));
let deployProblem: string | undefined;

beforeAll(async () => {
  const start = await runWsq(["local", "start", "--port", "0"], { home });
  if (start.code !== 0) {
    deployProblem = `wsq local start failed (exit ${start.code}): ${start.stderr.trim()}`;
    return;
  }
  const deploy = await runWsq(["deploy", "--yes"], { home });
  if (deploy.code !== 0) {
    // While the local services are still being built, the local cloud answers 501 NotImplemented
    // (JSON), which the CloudFormation client (Query/XML) reports as an XML parse error.
    deployProblem = /not available in this build yet|not implemented yet|XML parse error/.test(deploy.stderr)
      ? "`wsq deploy` or a local service it needs is not implemented in this build yet, so there is no stack to connect to"
      : `wsq deploy failed (exit ${deploy.code}): ${deploy.stderr.trim().slice(-2000)}`;
  }
}, 120_000);

afterAll(async () => {
  await runWsq(["local", "stop"], { home });
  rmSync(home, { recursive: true, force: true });
}, 30_000);

describe("wsq connect on the local target", () => {
  it("finds the stack's URL by name and gets every result back through SQS FIFO and the handler", async (context) => {
    if (deployProblem?.includes("not implemented")) context.skip(deployProblem);
    expect(deployProblem).toBeUndefined();
    const run = await runWsq(
      [
        "connect",
        "--stack-name",
        "wsq",
        "--group",
        "local-g",
        "--wait",
        "20",
        "-x",
        "one",
        "-x",
        "two",
        "-x",
        '{"action":"send","id":"raw-1","MessageGroupId":"local-g","seq":3,"data":{"n":3}}',
      ],
      { home },
    );
    expect(run.stderr).not.toMatch(/Internal error/);
    expect(run.code).toBe(0);
    const results = run.records.filter((r) => r.type === "result");
    // The three frames go out together, so they may reach the queue in any order (as on AWS); the
    // results come back in the queue's order, which is what the pattern promises.
    expect([...results].sort((a, b) => Number(a.line) - Number(b.line)).map((r) => [r.line, r.data, r.group, r.seq, r.outOfOrder])).toEqual([
      [1, "one", "local-g", 1, false],
      [2, "two", "local-g", 2, false],
      [3, { n: 3 }, "local-g", 3, false],
    ]);
    const sequence = results.map((r) => BigInt(r.sequenceNumber as string));
    expect([...sequence].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(sequence);
    // A result after one of a higher seq reached the queue after it: marked, as information only.
    let highest = 0;
    for (const r of results) {
      expect(r.reorderedBeforeQueue, `line ${String(r.line)}`).toBe(Number(r.seq) < highest);
      highest = Math.max(highest, Number(r.seq));
    }
    for (const result of results) {
      expect(result.queueWaitMs).toEqual(expect.any(Number));
      expect(result.connectionId).toEqual(results[0]?.connectionId);
      expect(result.sequenceNumber).toEqual(expect.any(String));
    }
  }, 60_000);

  it("reads piped lines and reports text sent without a group as grouped by its connection", async (context) => {
    if (deployProblem?.includes("not implemented")) context.skip(deployProblem);
    expect(deployProblem).toBeUndefined();
    const run = await runWsq(["connect", "--wait", "20"], { home, input: 'alpha\n{"action":"send","id":"nogroup-1","data":"beta"}\n' });
    expect(run.code).toBe(0);
    const results = run.records.filter((r) => r.type === "result");
    expect([...results].sort((a, b) => Number(a.line) - Number(b.line)).map((r) => r.data)).toEqual(["alpha", "beta"]);
    // Frames read in one turn may be admitted in any order (the gateway's shuffle), so find the
    // line sent without a group by its data, not by its place.
    const ungrouped = results.find((r) => r.data === "beta");
    expect(ungrouped?.group).toBe(ungrouped?.connectionId);
  }, 60_000);
});
