import { rmSync } from "node:fs";
import { stripVTControlCharacters } from "node:util";
import * as pty from "node-pty";
import { expect, onTestFinished, test } from "vitest";
import { startFakePatternServer } from "../integration/burst/fake-pattern-server.js";
import { tempHome, WSQ_BIN } from "../integration/burst/run-wsq.js";

// The live view, in a real pseudo-terminal: a panel redrawn in place while the burst waits for
// results, cleared before the summary prints.

test("on a terminal, a live panel shows progress while results are held back, then gives way to the summary", async () => {
  const server = await startFakePatternServer({ paused: true });
  const home = tempHome();
  onTestFinished(async () => {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  });
  const term = pty.spawn(process.execPath, [WSQ_BIN, "burst", "--url", server.url, "--count", "200", "--connections", "4"], {
    name: "xterm-256color",
    cols: 120,
    rows: 40,
    env: { ...process.env, WSQ_HOME: home, NO_COLOR: "1", TERM: "xterm-256color", CI: "" },
  });
  onTestFinished(() => {
    try {
      term.kill();
    } catch {
      // already gone
    }
  });
  let raw = "";
  const waiters = new Set<() => void>();
  term.onData((data) => {
    raw += data;
    for (const check of [...waiters]) check();
  });
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; screen:\n${stripVTControlCharacters(raw)}`)), 15_000);
      const check = () => {
        if (pattern.test(stripVTControlCharacters(raw))) {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      check();
    });

  await waitFor(/sending done; waiting for results/);
  await waitFor(/sent\s+\[=+\] 200\/200/);
  expect(stripVTControlCharacters(raw)).toMatch(/answered\s+\[\s+\] 0/);
  // The panel redraws in place (cursor movement and line erasure), rather than scrolling.
  expect(raw).toContain("\u001b[2K");
  server.resume();
  expect(await exited).toBe(0);
  const screen = stripVTControlCharacters(raw);
  expect(screen).toMatch(/every message answered exactly once/);
  expect(screen).toMatch(/answered\s+200/);
}, 30_000);
