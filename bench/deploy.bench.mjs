// `wsq deploy` then `wsq destroy` of the pattern on the local target, each timed from process
// start to exit, with the local cloud already running. Two baselines measured in the same run:
// - the bare process start of the CLI (`wsq --version`): what any command costs before it works;
// - the raw CloudFormation create + delete of the same template with the same parameters through
//   the SDK in this process, polling as tightly as wsq does: what the local cloud itself costs.
// The difference to the second is wsq's own work (change set, listing, events, outputs, processes).
//
// Target (issue 6): deploy + destroy under 5 s together on the 2-core machine.
//
// Needs `npm run build`. Uses its own WSQ_HOME (a temp dir), starts the local cloud on a free port
// and stops it at the end.
import { wsqRunner } from "./wsq-process.mjs";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";

const here = dirname(fileURLToPath(import.meta.url));
const TEMPLATE = readFileSync(join(here, "..", "templates", "wsq.yaml"), "utf8");
const RUNS = 3;
const TARGET_MS = 5_000;

const home = mkdtempSync(join(tmpdir(), "wsq-bench-deploy-"));
const { wsq, must } = wsqRunner({ ...process.env, WSQ_HOME: home, NO_COLOR: "1", CI: "true" });

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (ms) => `${ms.toFixed(0).padStart(6)} ms`;

async function untilStatus(cfn, stackName, done) {
  for (;;) {
    let status;
    try {
      status = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.StackStatus;
    } catch (error) {
      if (/does not exist/.test(error.message)) return "DELETE_COMPLETE";
      throw error;
    }
    if (done.includes(status)) return status;
    if (status && !status.endsWith("_IN_PROGRESS")) throw new Error(`raw stack ${stackName}: ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let exitCode = 0;
try {
  const started = await must(["local", "start", "--port", "0", "--json"]);
  const instance = JSON.parse(started.stdout);
  const url = instance.url ?? instance.state?.url;

  // Baseline 1: process start.
  const versions = [];
  for (let i = 0; i < 5; i += 1) versions.push((await must(["--version"])).ms);

  // The first deploy also creates the asset stack and uploads the handler: shown apart.
  // Every cycle uses a stack of its own: SQS refuses a queue name for 60 s after its deletion
  // (QueueDeletedRecently, as on AWS), and queue names derive from the stack name.
  const first = await must(["deploy", "--yes", "--json", "--stack-name", "bench-first"]);
  const deployed = JSON.parse(first.stdout);
  const firstDestroy = await must(["destroy", "--yes", "--stack-name", "bench-first"]);

  const deploys = [];
  const destroys = [];
  for (let i = 0; i < RUNS; i += 1) {
    deploys.push((await must(["deploy", "--yes", "--stack-name", `bench-${i}`])).ms);
    destroys.push((await must(["destroy", "--yes", "--stack-name", `bench-${i}`])).ms);
  }

  // Baseline 2: the same stack through the raw API, same parameters, same polling interval.
  const cfn = new CloudFormationClient({ endpoint: url, region: deployed.region, credentials: { accessKeyId: "wsqlocal", secretAccessKey: "wsqlocalsecret" } });
  const raws = [];
  for (let i = 0; i < RUNS; i += 1) {
    const t0 = performance.now();
    await cfn.send(
      new CreateStackCommand({
        StackName: `raw-${i}`,
        TemplateBody: TEMPLATE,
        Capabilities: ["CAPABILITY_IAM"],
        Parameters: [
          { ParameterKey: "AssetBucket", ParameterValue: deployed.handler.bucket },
          { ParameterKey: "AssetKey", ParameterValue: deployed.handler.key },
        ],
      }),
    );
    await untilStatus(cfn, `raw-${i}`, ["CREATE_COMPLETE"]);
    await cfn.send(new DeleteStackCommand({ StackName: `raw-${i}` }));
    await untilStatus(cfn, `raw-${i}`, ["DELETE_COMPLETE"]);
    raws.push(performance.now() - t0);
  }
  cfn.destroy();

  const cycle = median(deploys) + median(destroys);
  const version = median(versions);
  const raw = median(raws);
  process.stdout.write(
    [
      `local cloud at ${url}, ${RUNS} runs each, medians:`,
      `  first deploy (creates the asset stack)  ${fmt(first.ms)}   its destroy ${fmt(firstDestroy.ms)}`,
      `  wsq deploy                              ${fmt(median(deploys))}`,
      `  wsq destroy                             ${fmt(median(destroys))}`,
      `  deploy + destroy                        ${fmt(cycle)}   target < ${TARGET_MS} ms: ${cycle < TARGET_MS ? "met" : "NOT met"}`,
      `baselines:`,
      `  wsq --version (process start)           ${fmt(version)}   ratio deploy+destroy / start = ${(cycle / version).toFixed(1)}x`,
      `  raw SDK create + delete, same template  ${fmt(raw)}   ratio deploy+destroy / raw = ${(cycle / raw).toFixed(2)}x`,
      "",
    ].join("\n"),
  );
  if (cycle >= TARGET_MS) exitCode = 1;
} catch (error) {
  process.stdout.write(`deploy bench failed: ${error.message}\n`);
  exitCode = 1;
} finally {
  await wsq(["local", "stop"]);
  rmSync(home, { recursive: true, force: true });
}
process.exitCode = exitCode;
