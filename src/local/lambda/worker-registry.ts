/**
 * Which worker processes the local cloud has running, one empty file per pid under
 * dataDir/lambda/workers. Workers exit by themselves when the local cloud goes away (IPC
 * disconnect), except one busy in an endless loop at that moment: nothing inside it can run. The
 * next start of the local cloud on the same data directory finds such leftovers here and ends them.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalLogger } from "../context.js";

export class WorkerRegistry {
  private readonly directory: string;

  constructor(dataDir: string) {
    this.directory = join(dataDir, "lambda", "workers");
  }

  add(pid: number | undefined): void {
    if (pid === undefined) return;
    try {
      mkdirSync(this.directory, { recursive: true, mode: 0o700 });
      writeFileSync(join(this.directory, String(pid)), "");
    } catch {
      // Best effort: the registry only serves the cleanup after a crash.
    }
  }

  remove(pid: number | undefined): void {
    if (pid !== undefined) rmSync(join(this.directory, String(pid)), { force: true });
  }

  /**
   * Kills workers left by an earlier run of the local cloud. A pid is only killed when its
   * command line still names a worker bootstrap, so a reused pid is never hit.
   */
  reapLeftovers(log: LocalLogger): void {
    let pids: string[];
    try {
      pids = readdirSync(this.directory);
    } catch {
      return;
    }
    for (const name of pids) {
      const pid = Number(name);
      rmSync(join(this.directory, name), { force: true });
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) continue;
      if (!isWorker(pid)) continue;
      try {
        process.kill(pid, "SIGKILL");
        log.log("warn", "ended a worker left running by an earlier local cloud", { pid });
      } catch {
        // already gone
      }
    }
  }
}

/** Linux: the command line of a worker names the runtime bootstrap. Elsewhere nothing is killed. */
function isWorker(pid: number): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return /bootstrap(-[0-9a-f]+)?\.(m?js)\0?/.test(commandLine) && commandLine.includes("lambda");
  } catch {
    return false;
  }
}
