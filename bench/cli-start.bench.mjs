// CLI start-up benchmark (run `npm run build` first; it runs bin/wsq.js):
// `wsq --version` and `wsq --help` as fresh processes, next to `node -e 0` (a bare Node start, the
// floor) measured in the same run. The three run in turn, round after round, so that a change in
// the machine's speed during the run touches all three alike. Target (issue 19): each under
// 0.25 s wall on the 2-core machine; the ratio to `node -e 0` is the figure to compare across days.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const WSQ = fileURLToPath(new URL("../bin/wsq.js", import.meta.url));
const ROUNDS = 15;
const WARMUP = 2;
const TARGET_MS = 250;

const commands = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "wsq --version", args: [WSQ, "--version"] },
  { name: "wsq --help", args: [WSQ, "--help"] },
];

function wallMs(args) {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`${args.join(" ")} exited ${run.status ?? run.signal}: ${String(run.stderr).slice(-500)}`);
  return ms;
}

const samples = new Map(commands.map((c) => [c.name, []]));
for (let round = 0; round < WARMUP + ROUNDS; round += 1) {
  for (const command of commands) {
    const ms = wallMs(command.args);
    if (round >= WARMUP) samples.get(command.name).push(ms);
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const baseline = median(samples.get("node -e 0"));
process.stdout.write(`${ROUNDS} runs each (after ${WARMUP} warm-up rounds), wall time of the whole process\n`);
process.stdout.write(`${"command".padEnd(16)}${"min".padStart(10)}${"median".padStart(10)}   vs node -e 0\n`);
let missed = 0;
for (const command of commands) {
  const values = samples.get(command.name);
  const mid = median(values);
  const ratio = command.name === "node -e 0" ? "baseline" : `${(mid / baseline).toFixed(2)}x`;
  const verdict = command.name === "node -e 0" ? "" : mid < TARGET_MS ? `   < ${TARGET_MS} ms: met` : `   < ${TARGET_MS} ms: MISSED`;
  if (verdict.includes("MISSED")) missed += 1;
  process.stdout.write(
    `${command.name.padEnd(16)}${`${Math.min(...values).toFixed(0)} ms`.padStart(10)}${`${mid.toFixed(0)} ms`.padStart(10)}   ${ratio}${verdict}\n`,
  );
}
if (missed > 0) process.stdout.write(`(a loaded machine slows every process alike: compare the ratios with an earlier run's)\n`);
