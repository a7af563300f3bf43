// A slow consumer on the local target (issue 20): `wsq burst --count 1000 --groups 10 --work-ms 20`,
// whose messages each take 20 ms in the echo handler, so the queue must buffer the burst and the
// function drains it at 10 groups × 1 message per 20 ms: 2 s predicted from the directives.
//
// Targets: peak queue depth at least 900 (the burst is buffered), and the measured drain (first
// send to last answer, as the summary measures it) within 25% of the prediction.
//
// Baseline in the same run: the same burst with no work (--work-ms 0): what draining 1,000
// messages costs the consumer itself here (receive, invoke, post back, delete), which the
// prediction, made from the directives alone, leaves out. Medians of RUNS bursts each, after a
// warm-up burst that starts the function's environments.
//
// Needs `npm run build`. Uses its own WSQ_HOME (a temp dir), starts the local cloud, deploys, and
// stops the cloud at the end.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { wsqRunner } from "./wsq-process.mjs";

const COUNT = 1000;
const GROUPS = 10;
const WORK_MS = 20;
const RUNS = 3;
const TARGET_PEAK = 900;
const TARGET_ERROR = 0.25;

const home = mkdtempSync(join(tmpdir(), "wsq-bench-consumer-"));
const { wsq, must } = wsqRunner({ ...process.env, WSQ_HOME: home, NO_COLOR: "1" });

async function burst(workMs, count = COUNT, extra = []) {
  const run = await wsq(["burst", "--count", String(count), "--groups", String(GROUPS), "--work-ms", String(workMs), "--json", "--timeout", "120", ...extra]);
  if (!run.stdout.trim().startsWith("{")) throw new Error(`wsq burst failed (exit ${run.code}): ${run.stderr.trim().slice(-1500)}`);
  const report = JSON.parse(run.stdout);
  if (!report.verification.ok || report.outcome !== "complete") throw new Error(`the burst's checks failed (outcome ${report.outcome})`);
  return report;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n, digits = 0) => (n === null || n === undefined ? "-" : Number(n).toFixed(digits));
const firstToLast = (r) => r.consumer.measuredDrainMs;

let exitCode = 0;
try {
  await must(["local", "start", "--port", "0", "--json"]);
  await must(["deploy", "--yes"]);
  // Warm-up: the same burst, so the function has the environments it will use (the pool grows one
  // start at a time while the host has idle CPU, lambda.md; a 200-message warm-up left the first
  // measured burst 0.9 s slower than the next two).
  await burst(WORK_MS);

  const baseline = [];
  for (let i = 0; i < RUNS; i++) baseline.push(await burst(0));
  const baseMs = median(baseline.map(firstToLast));
  const perMessage = baseMs / (COUNT / GROUPS);
  console.log(
    `${"no work (baseline)".padEnd(28)} ${fmt(baseMs)} ms first send to last answer; ${fmt(perMessage, 1)} ms a message in a row of ${COUNT / GROUPS} (the consumer's own cost here)`,
  );

  const reports = [];
  for (let i = 0; i < RUNS; i++) reports.push(await burst(WORK_MS));
  const predicted = reports[0].consumer.config.prediction.drainMs;
  const measured = median(reports.map(firstToLast));
  const peak = median(reports.map((r) => r.queue.peakDepth ?? 0));
  const error = measured / predicted - 1;
  console.log(
    `${`--work-ms ${WORK_MS}`.padEnd(28)} ${fmt(measured)} ms first send to last answer (runs: ${reports.map((r) => fmt(firstToLast(r))).join(", ")}); predicted ${fmt(predicted)} ms; peak depth ${peak} (runs: ${reports.map((r) => r.queue.peakDepth).join(", ")})`,
  );
  console.log(
    `${"".padEnd(28)} predicted plus the baseline's cost per message: ${fmt(predicted + perMessage * (COUNT / GROUPS))} ms (${fmt((measured / (predicted + perMessage * (COUNT / GROUPS)) - 1) * 100)}% off)`,
  );
  // The same burst sent all at once (--rate max) instead of paced at 80% of the queue's quota
  // (--rate auto, the default: 1,000 messages over about 420 ms on a high-throughput queue, during
  // which 10 groups at 20 ms a message take up to 10 x 420 / 20 = 210 off the top of the depth).
  const maxReports = [];
  for (let i = 0; i < RUNS; i++) maxReports.push(await burst(WORK_MS, COUNT, ["--rate", "max"]));
  const maxMeasured = median(maxReports.map(firstToLast));
  console.log(
    `${`--work-ms ${WORK_MS} --rate max`.padEnd(28)} ${fmt(maxMeasured)} ms first send to last answer (${fmt((maxMeasured / predicted - 1) * 100)}% off the prediction); peak depth ${median(maxReports.map((r) => r.queue.peakDepth ?? 0))} (runs: ${maxReports.map((r) => r.queue.peakDepth).join(", ")}) (for comparison)`,
  );
  // Where the time over the prediction goes: the directives' work is all the prediction counts, so
  // each group's share of the excess is what the consumer itself spends per batch of 10.
  const batchesPerGroup = COUNT / GROUPS / 10;
  console.log(
    `${"".padEnd(28)} arithmetic: ${fmt(measured - predicted)} ms over the prediction = ${fmt((measured - predicted) / batchesPerGroup)} ms per batch of 10 in each group (receive, invoke, 10 post-backs, delete), against ${fmt(perMessage * 10)} ms per batch in the no-work baseline`,
  );
  console.log(`peak queue depth: ${peak}  (target ≥ ${TARGET_PEAK})  ${peak >= TARGET_PEAK ? "MET" : "MISSED"}`);
  // The default --rate auto (issue 17: no group over its quota) spreads the sends, and the consumer
  // drains while they arrive: the highest depth the pacing allows is the count less what the groups
  // can take during the send.
  const sendMs = reports[0].consumer.config.prediction.sendMs - WORK_MS;
  const ceiling = Math.round(COUNT - Math.min(COUNT, (GROUPS * sendMs) / WORK_MS));
  const maxPeak = median(maxReports.map((r) => r.queue.peakDepth ?? 0));
  console.log(
    `${"".padEnd(28)} arithmetic: the default pacing sends over ${fmt(sendMs)} ms, during which ${GROUPS} groups at ${WORK_MS} ms a message may take up to ${COUNT - ceiling}: a ceiling near ${ceiling}; sent at once (--rate max) the peak is ${maxPeak} (${maxPeak >= TARGET_PEAK ? "meets" : "misses"} ${TARGET_PEAK})`,
  );
  console.log(
    `measured drain vs predicted: ${error >= 0 ? "+" : ""}${fmt(error * 100)}%  (target within ${TARGET_ERROR * 100}%)  ${Math.abs(error) <= TARGET_ERROR ? "MET" : "MISSED"}`,
  );
} catch (error) {
  console.log(`consumer bench could not complete: ${error.message}`);
  exitCode = 1;
} finally {
  await wsq(["local", "stop"]);
  rmSync(home, { recursive: true, force: true });
}
process.exitCode = exitCode;
