import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// The one-minute version of `npm run soak` (bench/soak.mjs): steady load with a burst every third
// cycle through the whole pattern; nothing lost or duplicated, memory and descriptors flat.
describe("soak, one minute", () => {
  it("loses nothing and keeps the local cloud's memory and descriptors flat", async () => {
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [join(import.meta.dirname, "../../bench/soak.mjs"), "--minutes", "1"], { timeout: 240_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr }),
      );
    });
    expect(run.stdout).toContain("messages lost 0, duplicated 0");
    expect(run.stdout).toContain("flat: yes");
    expect(run.code, run.stderr).toBe(0);
  }, 300_000);
});
