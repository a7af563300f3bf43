import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import * as pty from "node-pty";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { startFakePatternServer, tempHome, WSQ_BIN, type FakePatternServer } from "../helpers/fake-pattern-server.js";

// The interactive session, driven in a real pseudo-terminal: keystrokes in, screen text out.

let server: FakePatternServer;
beforeAll(async () => {
  server = await startFakePatternServer();
});
afterAll(async () => {
  await server.stop();
});

interface Terminal {
  type(text: string): void;
  /** Waits until the text printed since the last mark matches; returns that text. */
  waitFor(pattern: RegExp): Promise<string>;
  mark(): void;
  output(): string;
  /** Everything the program wrote, escape sequences included. */
  raw(): string;
  exited: Promise<number>;
}

function openTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Terminal {
  const home = env.WSQ_HOME ?? tempHome();
  const term = pty.spawn(process.execPath, [WSQ_BIN, ...args], {
    name: "xterm-256color",
    cols: 120,
    rows: 40,
    env: { ...process.env, WSQ_HOME: home, FORCE_COLOR: "0", NO_COLOR: "1", TERM: "xterm-256color", CI: "", ...env },
  });
  let raw = "";
  let from = 0;
  const waiters = new Set<() => void>();
  term.onData((data) => {
    raw += data;
    for (const check of [...waiters]) check();
  });
  let exit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (exit = resolve));
  term.onExit(({ exitCode }) => {
    exit(exitCode);
    for (const check of [...waiters]) check();
  });
  onTestFinished(() => {
    try {
      term.kill();
    } catch {
      // already gone
    }
  });
  const text = () => stripVTControlCharacters(raw);
  return {
    type: (keys) => term.write(keys),
    mark: () => {
      from = text().length;
    },
    output: text,
    raw: () => raw,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; screen since mark:\n${text().slice(from)}`));
        }, 10_000);
        const check = () => {
          const seen = text().slice(from);
          if (pattern.test(seen)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(seen);
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

describe("wsq connect (interactive, in a pty)", () => {
  it("sends typed lines, shows each result tied to its message, and answers /stats, /json, /group, /ping, /quit", async () => {
    const home = tempHome();
    const t = openTerminal(["connect", "--url", server.url], { WSQ_HOME: home });
    await t.waitFor(/Connected to ws:\/\/127\.0\.0\.1:\d+\/production · group g1/);
    await t.waitFor(/g1> $/);

    t.mark();
    t.type("hello there\r");
    await t.waitFor(/← #1 hello there \(\d+(\.\d)? ms round trip · 3\.0 ms in queue\)/);

    t.mark();
    t.type("/group orders\r");
    await t.waitFor(/group is now orders[\s\S]*orders> /);
    t.type('{"action":"send","id":"typed-1","MessageGroupId":"raw","seq":7,"data":{"k":1}}\r');
    await t.waitFor(/← #2 \{"k":1\}/);
    expect(server.frames.at(-1)).toBe('{"action":"send","id":"typed-1","MessageGroupId":"raw","seq":7,"data":{"k":1}}');

    t.mark();
    t.type("/stats\r");
    const stats = await t.waitFor(/round trip: p50 [\d.]+ ms · p99 [\d.]+ ms/);
    expect(stats).toMatch(/sent 2 · answered 2 · pending 0/);

    t.mark();
    t.type("/json\r");
    await t.waitFor(/raw frames on/);
    t.type("raw please\r");
    const raw = await t.waitFor(/← \{"type":"result".*"data":"raw please"\}/);
    expect(raw).toMatch(/→ \{"action":"send","id":"[^"]+","MessageGroupId":"orders","seq":1,"sentAt":\d+,"data":"raw please"\}/);
    t.type("/json off\r");
    await t.waitFor(/raw frames off/);

    t.mark();
    t.type("/ping\r");
    await t.waitFor(/pong in [\d.]+ ms/);

    t.mark();
    t.type("/quit\r");
    expect(await t.exited).toBe(0);
    expect(t.output()).toMatch(/sent 3 · answered 3 · pending 0/);
    // NO_COLOR: cursor control only, no color (SGR) sequences.
    // eslint-disable-next-line no-control-regex -- the escape character is what is being checked
    expect(t.raw()).not.toMatch(/\x1b\[[0-9;]*m/);

    // History persists across sessions (oldest first on disk).
    const history = readFileSync(join(home, "connect_history"), "utf8");
    expect(history.split("\n")).toEqual(expect.arrayContaining(["hello there", "/group orders", "/quit"]));
    expect(statSync(join(home, "connect_history")).mode & 0o777).toBe(0o600);

    // The next session recalls it with the up arrow, and does not write lines that look secret.
    const again = openTerminal(["connect", "--url", server.url], { WSQ_HOME: home });
    await again.waitFor(/g1> $/);
    again.type('{"data":"my token is abc"}\r');
    await again.waitFor(/my token is abc \(/);
    again.mark();
    again.type("\x1b[A\x1b[A");
    await again.waitFor(/g1> \/quit$/);
    again.type("\r");
    expect(await again.exited).toBe(0);
    expect(readFileSync(join(home, "connect_history"), "utf8")).not.toMatch(/token/);
  });

  it("refuses JSON that does not parse, sends nothing, and lets /text send it on purpose", async () => {
    const t = openTerminal(["connect", "--url", server.url, "--no-history"]);
    await t.waitFor(/g1> $/);
    const before = server.frames.length;
    t.mark();
    t.type('{"a":1,}\r');
    await t.waitFor(/not sent: this looks like JSON but does not parse/);
    expect(server.frames.length).toBe(before);

    t.mark();
    t.type('/text {"a":1,}\r');
    await t.waitFor(/← #1 \{"a":1,\}/);
    expect(JSON.parse(server.frames.at(-1) as string)).toMatchObject({ data: '{"a":1,}' });

    // A multi-line object is collected until its brackets close, then sent as one frame.
    t.mark();
    t.type('{"action":"send","MessageGroupId":"m",\r');
    await t.waitFor(/\.\.\. $/);
    t.type('"data":"two lines"}\r');
    await t.waitFor(/← #2 two lines/);

    // /pretty puts structured data on indented lines; /time stamps each printed line.
    t.mark();
    t.type("/pretty on\r");
    await t.waitFor(/pretty data on/);
    t.type('{"action":"send","MessageGroupId":"m","data":{"a":[1,2]}}\r');
    await t.waitFor(/← #3 \([^)]*\)\r?\n {4}\{\r?\n {6}"a": \[\r?\n {8}1,/);
    t.mark();
    t.type("/time on\r");
    await t.waitFor(/timestamps on/);
    t.type("stamped\r");
    await t.waitFor(/\d{2}:\d{2}:\d{2}\.\d{3} ← #4 stamped/);
    t.type("\x04");
    expect(await t.exited).toBe(0);
  });

  it("prints an incoming frame above the prompt without losing what the user is typing", async () => {
    const t = openTerminal(["connect", "--url", server.url, "--no-history"]);
    await t.waitFor(/g1> $/);
    t.type("half-typed");
    await t.waitFor(/half-typed$/);
    t.mark();
    server.push("surprise from the server");
    const screen = await t.waitFor(/surprise from the server[\s\S]*g1> half-typed$/);
    expect(screen).not.toMatch(/half-typedsurprise/);
    t.mark();
    t.type(" now\r");
    await t.waitFor(/← #1 half-typed now/);
    // Ctrl-C on a half-typed line clears it (nothing is sent); on an empty line it leaves.
    t.type("discard me");
    await t.waitFor(/discard me$/);
    t.mark();
    t.type("\x03");
    await t.waitFor(/g1> $/);
    t.type("\x03");
    expect(await t.exited).toBe(0);
    expect(server.frames.some((f) => f.includes("discard me"))).toBe(false);
  });

  it("uses colors on a terminal unless NO_COLOR is set", async () => {
    const t = openTerminal(["connect", "--url", server.url, "--no-history"], { NO_COLOR: "", FORCE_COLOR: "" });
    await t.waitFor(/g1> $/);
    t.type("colorful\r");
    await t.waitFor(/← #1 colorful/);
    t.type("/quit\r");
    expect(await t.exited).toBe(0);
    // eslint-disable-next-line no-control-regex -- the escape character is what is being checked
    expect(t.raw()).toMatch(/\x1b\[36m← #1/);
  });

  it("shows a server-side close with its code and reason, the messages it cost, and reconnects with --reconnect", async () => {
    const t = openTerminal(["connect", "--url", server.url, "--no-history", "--reconnect"]);
    await t.waitFor(/g1> $/);
    t.mark();
    t.type("!silent\r");
    await t.waitFor(/→ #1 sent/);
    const connectionsBefore = server.connections();
    t.mark();
    server.closeAll(1011, "boom");
    await t.waitFor(/connection lost: 1011 internal server error: "boom"/);
    await t.waitFor(/1 message \(#1\) will get no result/);
    await t.waitFor(/reconnected \(connection 2\): a new connection id; results of messages sent on the old connection cannot arrive/);
    expect(server.connections()).toBe(connectionsBefore + 1);
    t.mark();
    t.type("after\r");
    await t.waitFor(/← #2 after/);
    t.type("/stats\r");
    await t.waitFor(/lost on a closed connection 1/);
    t.type("/quit\r");
    expect(await t.exited).toBe(0);
  });

  it("without --reconnect stays at the prompt after a close and reconnects on /reconnect; /burst reports the batch", async () => {
    const home = tempHome();
    const t = openTerminal(["connect", "--url", server.url, "--no-history"], { WSQ_HOME: home });
    await t.waitFor(/g1> $/);
    t.mark();
    server.closeAll(1001, "Going away");
    await t.waitFor(/connection lost: 1001 going away/);
    await t.waitFor(/g1 disconnected> $/);
    t.type("x\r");
    await t.waitFor(/Not connected/);
    t.mark();
    t.type("/reconnect\r");
    await t.waitFor(/reconnected \(connection 2\)/);
    t.mark();
    t.type("/burst 50\r");
    await t.waitFor(/burst of 50: 50 answered in [\d.]+ ms · round trip p50 [\d.]+ ms · p99 [\d.]+ ms · all in order/);
    t.type("/stats\r");
    await t.waitFor(/sent 50 · answered 50 · pending 0/);
    t.type("/quit\r");
    expect(await t.exited).toBe(0);
    // --no-history: nothing written.
    expect(existsSync(join(home, "connect_history"))).toBe(false);
  });
});
