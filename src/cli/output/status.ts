import type { CliIo } from "./io.js";
import { renderOutputs } from "./deploy-renderer.js";
import type { StatusResult } from "../../deploy/status.js";

/** `wsq status`: the stack, its outputs, the queue's depth and the function's settings. */
export function renderStatus(io: CliIo, s: StatusResult): void {
  const c = io.stdoutColor;
  const healthy = /_COMPLETE$/.test(s.status) && !s.status.includes("ROLLBACK") && !s.status.startsWith("DELETE");
  io.out(
    `Stack ${c.bold(s.stackName)}  ${healthy ? c.green(s.status) : c.yellow(s.status)}  (${s.target}${s.region ? `, ${s.region}` : ""}${s.lastUpdated ? `, updated ${s.lastUpdated}` : ""})`,
  );
  if (s.statusReason) io.out(c.dim(`  ${s.statusReason}`));
  if (s.problem) {
    io.out(c.yellow(`  ${s.problem.message}`));
    if (s.problem.hint) io.out(`  Fix: ${s.problem.hint}`);
  }
  io.out("Outputs");
  for (const line of renderOutputs(io, s.outputs)) io.out(line);
  if (s.queue) {
    if (s.queue.ok) {
      const q = s.queue.value;
      const dead = q.deadLetter > 0 ? c.red(String(q.deadLetter)) : String(q.deadLetter);
      io.out(`Queue     visible ${q.visible} · in flight ${q.inFlight} · dead-letter ${dead}`);
    } else io.out(`Queue     ${c.yellow(`unavailable: ${s.queue.error}`)}`);
  }
  if (s.function) {
    if (s.function.ok) {
      const f = s.function.value;
      io.out(
        `Function  ${s.outputs.FunctionName ?? ""}  ${f.runtime ?? "?"} ${f.architectures.join(",")}  ${f.memoryMB ?? "?"} MB  timeout ${f.timeoutSeconds ?? "?"} s${f.state ? `  ${f.state}` : ""}`,
      );
      if (f.eventSource) {
        const e = f.eventSource;
        io.out(
          `  from queue: batch ${e.batchSize ?? "?"}, max concurrency ${e.maximumConcurrency ?? "-"}${e.reportBatchItemFailures ? ", partial batch failures" : ""}${e.state ? `, ${e.state}` : ""}`,
        );
      }
      if (f.codeSha256) io.out(c.dim(`  code ${f.codeSha256}${f.lastModified ? `, modified ${f.lastModified}` : ""}`));
    } else io.out(`Function  ${c.yellow(`unavailable: ${s.function.error}`)}`);
  }
  const parameters = Object.entries(s.parameters).filter(([key]) => key !== "AssetBucket" && key !== "AssetKey");
  if (parameters.length > 0) io.out(`Parameters  ${parameters.map(([k, v]) => `${k}=${v}`).join("  ")}`);
}
