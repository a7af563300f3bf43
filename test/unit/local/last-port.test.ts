import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LAST_PORT_FILE, readLastPort, writeLastPort } from "../../../src/local/daemon/state.js";

describe("the port a data dir's local cloud last listened on", () => {
  const dirs: string[] = [];
  const dataDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "wsq-last-port-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("is what was written last, and nothing for a data dir that never listened", () => {
    const dir = dataDir();
    expect(readLastPort(dir)).toBeUndefined();
    writeLastPort(dir, 4601);
    writeLastPort(dir, 4602);
    expect(readLastPort(dir)).toBe(4602);
  });

  it("ignores a file that does not hold a usable port, rather than failing the start", () => {
    const dir = dataDir();
    for (const content of ["not json", "{}", '{"port":"4601"}', '{"port":0}', '{"port":70000}', '{"port":45.5}', "null"]) {
      writeFileSync(join(dir, LAST_PORT_FILE), content);
      expect(readLastPort(dir), content).toBeUndefined();
    }
  });
});
