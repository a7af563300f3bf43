// Runs the built `wsq` binary for the benchmarks and the soak: each call is a fresh process with
// the given environment (a private WSQ_HOME), its output collected and its wall time measured.
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const WSQ = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "wsq.js");

/** `wsq(args)` resolves with { code, stdout, stderr, ms }; `must(args)` also throws on a non-zero exit. */
export function wsqRunner(env) {
  const wsq = (args) =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(process.execPath, [WSQ, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
    });
  const must = async (args) => {
    const run = await wsq(args);
    if (run.code !== 0) throw new Error(`wsq ${args.join(" ")} exited ${run.code}: ${run.stderr.trim().slice(-1500)}`);
    return run;
  };
  return { wsq, must };
}
