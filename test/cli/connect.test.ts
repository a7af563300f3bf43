import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import {
  freePortUrl,
  runWsq,
  startFakePatternServer,
  startRejectingServer,
  startSilentServer,
  tempHome,
  WSQ_BIN,
  type FakePatternServer,
} from "../helpers/fake-pattern-server.js";

// `wsq connect` in non-interactive mode, the built binary against a fake pattern server that
// answers like the deployed handler and misbehaves on demand (see the helper's header).
let server: FakePatternServer;
beforeAll(async () => {
  server = await startFakePatternServer();
});
afterAll(async () => {
  await server.stop();
});

const byType = (records: Record<string, unknown>[], type: string) => records.filter((r) => r.type === type);

describe("wsq connect (non-interactive)", () => {
  it("sends each --execute value in the pattern's format and prints one result record per message", async () => {
    const before = server.frames.length;
    const run = await runWsq(["connect", "--url", server.url, "--group", "orders", "-x", "first", "-x", "second"]);
    expect(run.code).toBe(0);
    const frames = server.frames.slice(before).map((f) => JSON.parse(f) as Record<string, unknown>);
    expect(frames).toMatchObject([
      { action: "send", MessageGroupId: "orders", seq: 1, data: "first" },
      { action: "send", MessageGroupId: "orders", seq: 2, data: "second" },
    ]);
    expect(typeof frames[0]?.id).toBe("string");
    const results = byType(run.records, "result");
    expect(results).toMatchObject([
      { line: 1, id: frames[0]?.id, group: "orders", seq: 1, data: "first", queueWaitMs: 3, outOfOrder: false, duplicate: false, correlatedBy: "id" },
      { line: 2, id: frames[1]?.id, group: "orders", seq: 2, data: "second", outOfOrder: false },
    ]);
    for (const result of results) expect(result.rttMs).toEqual(expect.any(Number));
    expect(run.records.at(-1)).toMatchObject({ type: "summary", sent: 2, answered: 2, pending: 0, unanswered: 0 });
    expect(run.stderr).toMatch(/connecting to ws:\/\/127\.0\.0\.1/);
  });

  it("reads piped stdin line by line: text, raw JSON as typed, blank lines skipped, bad JSON refused (exit 3)", async () => {
    const before = server.frames.length;
    const input = [
      "hello",
      "",
      '{"action":"send","id":"mine-1","MessageGroupId":"raw","seq":1,"data":{"n":1}}',
      '{"action":"send","MessageGroupId":"anon","data":"no id"}',
      '{"broken":',
      "last",
    ].join("\n");
    const run = await runWsq(["connect", "--url", server.url], { input: `${input}\n` });
    expect(run.code).toBe(3);
    const sent = server.frames.slice(before);
    expect(sent).toHaveLength(4);
    expect(sent[1]).toBe('{"action":"send","id":"mine-1","MessageGroupId":"raw","seq":1,"data":{"n":1}}');
    expect(sent.some((f) => f.includes("broken"))).toBe(false);
    expect(byType(run.records, "invalid-input")).toMatchObject([{ line: 5, error: expect.stringMatching(/does not parse/) }]);
    const results = byType(run.records, "result");
    expect(results.map((r) => [r.line, r.correlatedBy])).toEqual([
      [1, "id"],
      [3, "id"],
      [4, "group-order"],
      [6, "id"],
    ]);
    expect(results[1]).toMatchObject({ id: "mine-1", data: { n: 1 } });
  });

  it("ties an API Gateway error frame to the message, shows it as throttled at the queue, and exits 3", async () => {
    const run = await runWsq(["connect", "--url", server.url, "-x", "!error"]);
    expect(run.code).toBe(3);
    expect(byType(run.records, "error")).toMatchObject([
      { line: 1, id: expect.any(String), message: "Internal server error", requestId: expect.any(String), refusal: "queue-throttle" },
    ]);
    expect(run.records.at(-1)).toMatchObject({ type: "summary", throttled: 1, failed: 0, errorFrames: 1 });
  });

  it("ties error frames that arrive while several messages are pending when the run ends: throttled, not a silent loss", async () => {
    const run = await runWsq(["connect", "--url", server.url, "-x", "!error", "-x", "!error", "-x", "fine"]);
    expect(run.code).toBe(3);
    expect(byType(run.records, "result").map((r) => r.data)).toEqual(["fine"]);
    expect(byType(run.records, "no-result").map((r) => [r.line, r.reason])).toEqual([
      [1, "throttled"],
      [2, "throttled"],
    ]);
    expect(run.records.at(-1)).toMatchObject({ type: "summary", throttled: 2, unanswered: 0, errorFrames: 2 });
  });

  it("marks results that overtake an earlier message of the same group and exits 3", async () => {
    const run = await runWsq(["connect", "--url", server.url, "-x", "!hold", "-x", "middle", "-x", "!release"]);
    expect(run.code).toBe(3);
    const results = byType(run.records, "result");
    expect(results.map((r) => [r.seq, r.outOfOrder, r.overtakenBySeq])).toEqual([
      [3, false, null],
      [2, true, 3],
      [1, true, 3],
    ]);
  });

  it("flags a second result for the same message as a duplicate", async () => {
    // The unanswered second message keeps the run open until --wait, so the copy has time to arrive.
    const run = await runWsq(["connect", "--url", server.url, "--wait", "0.5", "-x", "!dup", "-x", "!silent"]);
    expect(run.code).toBe(3);
    expect(byType(run.records, "result").map((r) => [r.duplicate, r.receiveCount])).toEqual([
      [false, 1],
      [true, 2],
    ]);
  });

  it("reports a message without a result after --wait and exits 3", async () => {
    const run = await runWsq(["connect", "--url", server.url, "--wait", "0.3", "-x", "answered", "-x", "!silent"]);
    expect(run.code).toBe(3);
    expect(byType(run.records, "no-result")).toMatchObject([{ line: 2, reason: "timeout", seq: 2 }]);
    expect(run.records.at(-1)).toMatchObject({ type: "summary", answered: 1, unanswered: 1 });
  });

  it("shows a server-side close with its code and meaning, lists the messages it cost, and exits 1", async () => {
    const run = await runWsq(["connect", "--url", server.url, "-x", "!hold", "-x", "!close 1009 Message too big"]);
    expect(run.code).toBe(1);
    expect(byType(run.records, "close")).toMatchObject([
      { code: 1009, reason: "Message too big", byClient: false, meaning: expect.stringMatching(/message too big/) },
    ]);
    expect(byType(run.records, "no-result")).toMatchObject([
      { line: 1, reason: "connection-closed" },
      { line: 2, reason: "connection-closed" },
    ]);
    expect(run.stderr).toMatch(/connection closed: 1009/);
  });

  it("with --reconnect reports what the lost connection cost and reconnects instead of failing (exit 3, not 1)", async () => {
    const before = server.connections();
    const run = await runWsq(["connect", "--url", server.url, "--reconnect", "--wait", "5", "-x", "!silent", "-x", "!close 1012 restarting"]);
    expect(run.code).toBe(3);
    expect(byType(run.records, "close")).toMatchObject([{ code: 1012, meaning: "service restart", reason: "restarting" }]);
    expect(byType(run.records, "no-result").map((r) => [r.line, r.reason])).toEqual([
      [1, "connection-closed"],
      [2, "connection-closed"],
    ]);
    expect(run.stderr).toMatch(/reconnecting in \d\.\d s \(attempt 1\)/);
    expect(server.connections()).toBeGreaterThan(before);
  });

  it("on Ctrl-C (SIGINT) while reading stdin, reports what is pending, prints the summary and exits 130", async () => {
    const child = spawn(process.execPath, [WSQ_BIN, "connect", "--url", server.url], {
      env: { ...process.env, NO_COLOR: "1", WSQ_HOME: tempHome() },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/one message per input line/.test(stderr)) resolve();
      });
    });
    // stdin stays open: only the signal can end this run.
    const marker = `!silent ${Math.random()}`;
    child.stdin.write(`${marker}\n`);
    await server.waitForFrame((frame) => frame.includes(marker));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    const records = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toMatchObject([
      { type: "no-result", line: 1, reason: "timeout" },
      { type: "summary", sent: 1, answered: 0, unanswered: 1 },
    ]);
  });

  it("passes --header values on the upgrade request", async () => {
    const run = await runWsq(["connect", "--url", server.url, "-H", "Authorization: Bearer abc:def", "--header", "X-Trace:42", "-x", "hi"]);
    expect(run.code).toBe(0);
    expect(server.upgradeHeaders.at(-1)).toMatchObject({ authorization: "Bearer abc:def", "x-trace": "42" });
  });

  it("explains an HTTP status answered instead of an upgrade (exit 1)", async () => {
    const refusing = await startRejectingServer(403);
    try {
      const run = await runWsq(["connect", "--url", refusing.url, "-x", "hi"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/answered HTTP 403: the API refused the connection/);
    } finally {
      await refusing.stop();
    }
  });

  it("fails fast with exit 1 when nothing listens at the URL", async () => {
    const run = await runWsq(["connect", "--url", await freePortUrl(), "-x", "hi"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Nothing is listening at ws:\/\/127\.0\.0\.1:\d+\/production/);
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it("gives up after --connect-timeout when the URL accepts but never answers", async () => {
    const silent = await startSilentServer();
    try {
      const run = await runWsq(["connect", "--url", silent.url, "--connect-timeout", "0.5", "-x", "hi"]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/did not answer within 0\.5 s/);
    } finally {
      await silent.stop();
    }
  });

  it("refuses a URL that is not ws:// or wss:// with a usage error that suggests the fix", async () => {
    const run = await runWsq(["connect", "--url", "https://abc.execute-api.us-east-1.amazonaws.com/prod", "-x", "hi"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Did you mean wss:\/\/abc\.execute-api/);
  });

  it("says the local cloud is not running when --stack-name is used without it", async () => {
    const run = await runWsq(["connect", "-x", "hi"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/local cloud is not running/);
  });
});
