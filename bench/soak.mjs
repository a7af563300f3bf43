// Soak: the whole pattern on the local target under steady load with periodic bursts, sampling
// the local cloud's memory, open file descriptors and latency, to show they stay flat.
//
//   npm run soak -- --minutes 30
//
// Each 10-second cycle sends a steady burst (200 messages at 100/s over 5 connections); every
// third cycle adds a 1,000-message burst at full speed. After each cycle the local cloud's RSS
// (/proc/PID/status) and open descriptors (/proc/PID/fd) are sampled. At the end the last third of
// the steady samples is compared with the first third, after a warm-up that ends with the first
// burst (which starts the function's workers once). Exit 1 when a message was
// lost or duplicated, or when RSS grew by more than 25% or descriptors by more than 20.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { wsqRunner } from "./wsq-process.mjs";

const minutesArg = process.argv.indexOf("--minutes");
const minutes = minutesArg > 0 ? Number(process.argv[minutesArg + 1]) : 1;
if (!(minutes > 0)) {
  console.error("usage: node bench/soak.mjs --minutes N   (N > 0)");
  process.exit(2);
}
const CYCLE_MS = 10_000;
const home = mkdtempSync(join(tmpdir(), "wsq-soak-"));
const { wsq, must } = wsqRunner({ ...process.env, WSQ_HOME: home, NO_COLOR: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" });

function sample(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMiB: rssKiB / 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

const samples = [];
let lost = 0;
let duplicated = 0;
let exitCode = 0;
try {
  const state = JSON.parse((await must(["local", "start", "--port", "0", "--json"])).stdout);
  await must(["deploy", "--yes", "--parameter", "ThrottlingRateLimit=10000", "--parameter", "ThrottlingBurstLimit=5000"]);
  const deadline = Date.now() + minutes * 60_000;
  console.log(`soak: ${minutes} min against ${state.url} (pid ${state.pid})`);
  console.log("cycle  kind     sent  answered  lost  dup   p50 ms   p99 ms   RSS MiB   fds");
  for (let cycle = 0; Date.now() < deadline; cycle++) {
    const started = Date.now();
    const kinds = [["steady", ["--count", "200", "--rate", "100", "--connections", "5"]]];
    if (cycle % 3 === 2) kinds.push(["burst", ["--count", "1000", "--connections", "10"]]);
    for (const [kind, args] of kinds) {
      const run = await wsq(["burst", ...args, "--json", "--timeout", "60"]);
      const report = JSON.parse(run.stdout);
      lost += report.counts.lost;
      duplicated += report.counts.duplicated;
      const s = sample(state.pid);
      samples.push({ cycle, kind, ...s, p99: report.latency.endToEnd.p99 });
      console.log(
        `${String(cycle).padStart(5)}  ${kind.padEnd(6)} ${String(report.counts.sent).padStart(6)} ${String(report.counts.answered).padStart(9)} ${String(report.counts.lost).padStart(5)} ${String(report.counts.duplicated).padStart(4)} ${report.latency.endToEnd.p50.toFixed(0).padStart(8)} ${report.latency.endToEnd.p99.toFixed(0).padStart(8)} ${s.rssMiB.toFixed(1).padStart(9)} ${String(s.fds).padStart(5)}`,
      );
    }
    const rest = CYCLE_MS - (Date.now() - started);
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  }
  // Warm-up ends with the first burst: it starts the function's ten workers (and their
  // descriptors) once; growth is judged on the steady samples after it.
  const steady = samples.filter((s) => s.kind === "steady" && s.cycle > 2);
  const third = Math.max(1, Math.floor(steady.length / 3));
  const avg = (list, key) => list.reduce((sum, s) => sum + s[key], 0) / list.length;
  const early = steady.slice(0, third);
  const late = steady.slice(-third);
  const rssGrowth = early.length > 0 ? avg(late, "rssMiB") / avg(early, "rssMiB") - 1 : 0;
  const fdGrowth = early.length > 0 ? avg(late, "fds") - avg(early, "fds") : 0;
  const p99Ratio = early.length > 0 ? avg(late, "p99") / avg(early, "p99") : 1;
  const flat = rssGrowth <= 0.25 && fdGrowth <= 20;
  console.log(`\nmessages lost ${lost}, duplicated ${duplicated}`);
  console.log(
    `RSS first third ${early.length ? avg(early, "rssMiB").toFixed(1) : "-"} MiB -> last third ${late.length ? avg(late, "rssMiB").toFixed(1) : "-"} MiB (${(rssGrowth * 100).toFixed(1)}%)`,
  );
  console.log(
    `open fds first third ${early.length ? avg(early, "fds").toFixed(1) : "-"} -> last third ${late.length ? avg(late, "fds").toFixed(1) : "-"} (${fdGrowth >= 0 ? "+" : ""}${fdGrowth.toFixed(1)})`,
  );
  console.log(`steady p99 last third / first third: ${p99Ratio.toFixed(2)}x`);
  console.log(flat && lost === 0 && duplicated === 0 ? "flat: yes" : "flat: NO");
  if (!flat || lost > 0 || duplicated > 0) exitCode = 1;
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  exitCode = 1;
} finally {
  await wsq(["local", "stop"]);
  rmSync(home, { recursive: true, force: true });
}
process.exit(exitCode);
