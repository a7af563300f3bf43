import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { BurstReport } from "../../src/client/burst/types.js";
import { startFakePatternServer, type FakePatternServer, type FakeServerOptions } from "../integration/burst/fake-pattern-server.js";
import { createSqsFakeQueue } from "../integration/burst/sqs-fake-queue.js";
import { runWsq, tempHome, WSQ_BIN } from "../integration/burst/run-wsq.js";
import { sdkConfig, useTestCloud } from "../helpers/local-cloud.js";

// `wsq burst` as a user runs it: the built binary against a fake pattern server on loopback.

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function server(options: FakeServerOptions = {}): Promise<FakePatternServer> {
  const s = await startFakePatternServer(options);
  cleanup.push(() => s.close());
  return s;
}

function home(): string {
  const dir = tempHome();
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function parse(stdout: string): BurstReport {
  return JSON.parse(stdout) as BurstReport;
}

test("the binary exists (run `npm run build` first)", () => {
  expect(existsSync(WSQ_BIN)).toBe(true);
});

describe("wsq burst --json", () => {
  test("prints one JSON document whose figures match what the server received, and exits 0", async () => {
    const s = await server();
    const run = await runWsq(["burst", "--url", s.url, "--count", "300", "--connections", "3", "--groups", "6", "--size", "256", "--json"], { home: home() });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const report = parse(run.stdout);
    expect(report.outcome).toBe("complete");
    expect(report.counts).toEqual({
      planned: 300,
      sent: 300,
      answered: 300,
      results: 300,
      lost: 0,
      deadLettered: 0,
      duplicated: 0,
      throttled: 0,
      refused: 0,
      reorderedBeforeQueue: 0,
    });
    // No queue to read the mode of: paced for a normal FIFO queue (80% of 300/s), the stricter assumption.
    expect(report.config).toMatchObject({ count: 300, connections: 3, groups: 6, size: 256, rate: { kind: "fixed", perSecond: 240 }, autoRate: true });
    expect(report.config.quota).toMatchObject({ mode: "unknown", ok: true, predictedThrottled: 0 });
    expect(s.received).toHaveLength(300);
    const ids = new Set(s.received.map((r) => r.frame.id));
    expect(ids.size).toBe(300);
    for (const r of s.received) expect(r.frame.id!.startsWith(`${report.config.runId}-`)).toBe(true);
    expect(s.connections).toHaveLength(3);
    expect(report.latency.endToEnd.count).toBe(300);
    expect(report.latency.endToEnd.p50).toEqual(expect.any(Number));
    expect(report.verification.ok).toBe(true);
  });

  test.each([
    ["drop", { drop: new Set(["0", "5"]) }, (r: BurstReport) => expect(r.verification.lost.map((id) => id.split("-")[1])).toEqual(["0", "5"])],
    ["duplicate", { duplicate: new Set(["3"]) }, (r: BurstReport) => expect(r.verification.duplicated).toEqual([{ id: `${r.config.runId}-3`, count: 2 }])],
    ["reorder", { reorder: new Set(["2"]) }, (r: BurstReport) => expect(r.verification.orderViolations.map((o) => o.id)).toEqual([`${r.config.runId}-2`])],
  ] as const)("exits 3 when the server makes a %s, and lists it", async (_name, faults, check) => {
    // The run id is random, so faults are keyed by the message index: wrap the fake to match on the suffix.
    const s = await server(suffixFaults(faults));
    const run = await runWsq(["burst", "--url", s.url, "--count", "20", "--connections", "2", "--timeout", "2", "--json"], { home: home() });
    expect(run.code).toBe(3);
    const report = parse(run.stdout);
    expect(report.verification.ok).toBe(false);
    check(report);
  });
});

describe("wsq burst when connections close under it", () => {
  test("lost messages written on a connection that then closed are named as such (their results had nowhere to go)", async () => {
    // A consumer that never answers, and a gateway that drops every connection after 5 frames.
    const s = await server({ paused: true, closeAfter: { frames: 5, code: 1001 } });
    const run = await runWsq(["burst", "--url", s.url, "--count", "10", "--connections", "2", "--timeout", "2", "--json"], { home: home() });
    expect(run.code).toBe(3);
    const report = parse(run.stdout);
    expect(report.errors.closes.map((c) => c.code)).toEqual([1001, 1001]);
    expect(report.verification.lost.length).toBeGreaterThan(0);
    expect(report.verification.lostOnClosed).toEqual(report.verification.lost);
    const plain = await runWsq(["burst", "--url", s.url, "--count", "10", "--connections", "2", "--timeout", "2"], { home: home() });
    expect(plain.code).toBe(3);
    expect(plain.stdout).toMatch(/of the lost were written on connections that closed early/);
  });
});

/** The fake matches ids exactly; the CLI picks a random run id, so match on "-<index>" instead. */
function suffixFaults(faults: FakeServerOptions): FakeServerOptions {
  const bySuffix = (set: ReadonlySet<string> | undefined) =>
    set === undefined ? undefined : ({ has: (id: string) => set.has(id.slice(id.lastIndexOf("-") + 1)) } as unknown as ReadonlySet<string>);
  return {
    ...faults,
    drop: bySuffix(faults.drop),
    duplicate: bySuffix(faults.duplicate),
    reorder: bySuffix(faults.reorder),
    misroute: bySuffix(faults.misroute),
  };
}

describe("wsq burst without a terminal", () => {
  test("prints plain progress lines on stderr and the summary on stdout, without color codes", async () => {
    const s = await server();
    const run = await runWsq(["burst", "--url", s.url, "--count", "100", "--connections", "2"], { home: home() });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/connected 2 connection\(s\)/);
    expect(run.stderr).toMatch(/sending done: 100 written/);
    expect(run.stderr).toMatch(/\] complete: sent 100\/100 .* answered 100 /);
    expect(run.stdout).toMatch(/wsq burst 100 messages over 2 connections/);
    expect(run.stdout).toMatch(/every message answered exactly once, in the queue's order/);
    expect(run.stderr).toMatch(/pacing: 240\/s: the queue's mode is unknown \(no queue URL to read its mode from\)/);
    expect(run.stdout).toMatch(/lost\s+0/);
    expect(run.stdout).toMatch(/end to end\s+100\s/);
    // eslint-disable-next-line no-control-regex
    expect(run.stdout + run.stderr).not.toMatch(/\u001b\[/);
  });

  test("--report writes a self-contained HTML page with the timelines and the histogram", async () => {
    const s = await server();
    const file = join(home(), "burst.html");
    const run = await runWsq(["burst", "--url", s.url, "--count", "200", "--connections", "4", "--report", file], { home: home() });
    expect(run.code).toBe(0);
    const html = readFileSync(file, "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.match(/<svg /g)?.length).toBe(3);
    expect(html).toContain("Queue depth over time");
    expect(html).toContain("End-to-end latency distribution");
    expect(html).not.toMatch(/<script(?![^>]*application\/json)/);
    expect(html).not.toMatch(/(src|href)=/);
    const embedded = /<script type="application\/json" id="wsq-burst-report">(.*)<\/script>/s.exec(html)?.[1];
    expect((JSON.parse(embedded!.replace(/\\u003c/g, "<")) as BurstReport).counts.answered).toBe(200);
  });

  test("--events writes an NDJSON log that --replay turns back into the same report and exit code", async () => {
    const s = await server(suffixFaults({ drop: new Set(["4"]) }));
    const dir = home();
    const events = join(dir, "run.ndjson");
    const run = await runWsq(["burst", "--url", s.url, "--count", "30", "--connections", "3", "--timeout", "1", "--json", "--events", events], { home: dir });
    expect(run.code).toBe(3);
    const lines = readFileSync(events, "utf8").trim().split("\n");
    expect(lines.filter((l) => l.includes('"type":"send"'))).toHaveLength(30);
    expect(lines.filter((l) => l.includes('"type":"result"'))).toHaveLength(29);
    const replay = await runWsq(["burst", "--replay", events, "--json"], { home: dir });
    expect(replay.code).toBe(3);
    expect(parse(replay.stdout)).toEqual(parse(run.stdout));
    const missing = await runWsq(["burst", "--replay", join(dir, "nope.ndjson")], { home: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Could not read .*nope\.ndjson/);
  });

  test("Ctrl-C stops the burst, still prints the summary, and exits 130", async () => {
    const s = await server({ paused: true });
    let interrupted = false;
    const run = await runWsq(["burst", "--url", s.url, "--count", "50", "--connections", "2", "--timeout", "30"], {
      home: home(),
      onStderr: (child, text) => {
        if (!interrupted && /sending done/.test(text)) {
          interrupted = true;
          child.kill("SIGINT");
        }
      },
    });
    expect(interrupted).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stdout).toMatch(/interrupted \(Ctrl-C\)/);
    expect(run.stdout).toMatch(/sent\s+50/);
  });
});

describe("wsq burst errors", () => {
  test.each([
    [["--count", "0"], /--count must be a whole number/],
    [["--rate", "fast"], /--rate must be/],
    [["--size", "40000"], /--size must be/],
    [["--queue-url", "http://127.0.0.1:1/q"], /--queue-url and --dlq-url go with --url/],
  ])("%j is a usage error (exit 2)", async (args, message) => {
    const run = await runWsq(["burst", ...args], { home: home() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/Internal error|at .*\.js:\d+/);
  });

  test("an http URL is refused with the ws:// spelling suggested", async () => {
    const run = await runWsq(["burst", "--url", "http://127.0.0.1:9/x"], { home: home() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Did you mean ws:\/\/127\.0\.0\.1:9\/x/);
  });

  test("nothing listening is exit 1 with the cause and a fix", async () => {
    const s = await server();
    const url = s.url;
    await s.close();
    const run = await runWsq(["burst", "--url", url, "--count", "5", "--connections", "1"], { home: home() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Could not open any of 1 connection/);
    expect(run.stderr).toMatch(/Fix:/);
  });
});

describe("wsq burst finding the stack", () => {
  test("without a running local cloud, says so and how to start one (exit 1)", async () => {
    const run = await runWsq(["burst"], { home: home() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/The local cloud is not running/);
    expect(run.stderr).toMatch(/wsq local start/);
  });

  test("asks the local cloud's CloudFormation for the stack, and names a missing one (exit 1)", async () => {
    const cloud = await useTestCloud();
    const run = await runWsq(["burst", "--endpoint-url", cloud.url, "--stack-name", "nosuchstack"], { home: home() });
    expect(run.stderr).not.toMatch(/Internal error/);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/No stack named "nosuchstack" is deployed on the local target/);
  });

  test("--url and --stack-name together is a usage error", async () => {
    const run = await runWsq(["burst", "--url", "ws://127.0.0.1:9/p", "--stack-name", "wsq"], { home: home() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/either --url or --stack-name/);
  });
});

describe("wsq burst --queue-url with a real SQS queue (local cloud)", () => {
  test("reads the queue's mode and names a burst the quota would throttle before sending, with the numbers and the fix", async () => {
    const cloud = await useTestCloud();
    const sqs = new SQSClient(sdkConfig(cloud));
    cleanup.push(() => sqs.destroy());
    const { queueUrl } = await createSqsFakeQueue(sqs);
    // The fake answers at once; the real queue is there for its attributes (a normal FIFO queue).
    const s = await server();
    const over = await runWsq(["burst", "--url", s.url, "--queue-url", queueUrl, "--count", "400", "--connections", "4", "--rate", "max"], { home: home() });
    expect(over.code).toBe(0);
    expect(over.stderr).toMatch(
      /would exceed the queue's FIFO throughput quota: 400 messages all at once \(--rate max\) put up to 400 SendMessage calls within one second on the queue \(not high-throughput: 300 SendMessage\/s for the whole queue\)\. About 100 would be throttled/,
    );
    expect(over.stderr).toMatch(/Fix: a lower rate: --rate 240 or less \(groups do not help[^)]*\); or high-throughput mode/);
    expect(over.stdout).toMatch(
      /FIFO queue: 300 SendMessage\/s in all; the plan put at most 400 within one second on the queue: over it \(about 100 predicted throttled\)/,
    );

    // The default pacing for the same queue: 240/s in all, nothing to warn about.
    const paced = await runWsq(["burst", "--url", s.url, "--queue-url", queueUrl, "--count", "100", "--connections", "4", "--json"], { home: home() });
    expect(paced.code, paced.stderr).toBe(0);
    const report = parse(paced.stdout);
    expect(report.config).toMatchObject({ rate: { kind: "fixed", perSecond: 240 }, autoRate: true, quota: { mode: "per-queue", ok: true } });
  });

  test("polls the queue's depth and reports the peak while the consumer is stopped", async (ctx) => {
    const cloud = await useTestCloud();
    const sqs = new SQSClient(sdkConfig(cloud));
    cleanup.push(() => sqs.destroy());
    let fake: Awaited<ReturnType<typeof createSqsFakeQueue>>;
    try {
      fake = await createSqsFakeQueue(sqs);
    } catch (error) {
      ctx.skip(`the local cloud's SQS cannot create a FIFO queue yet (${(error as Error).message})`);
      return;
    }
    const s = await server({ paused: true, queue: fake.queue });
    const file = join(home(), "burst.html");
    let resumed = false;
    // The plain progress lines name the depth the CLI read: restart the consumer once it saw the whole burst queued.
    const run = await runWsq(["burst", "--url", s.url, "--queue-url", fake.queueUrl, "--count", "60", "--connections", "3", "--report", file], {
      home: home(),
      onStderr: (_child, text) => {
        if (!resumed && /queue 60 visible/.test(text)) {
          resumed = true;
          s.resume();
        }
      },
    });
    expect(resumed).toBe(true);
    expect(run.stdout).toMatch(/lost\s+0/);
    expect(run.stdout).toMatch(/out of order\s+0/);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/differs from SQSClient resolved endpoint/);
    expect(run.stdout).toMatch(/peak depth 60 \(visible 60/);
    const embedded = /<script type="application\/json" id="wsq-burst-report">(.*)<\/script>/s.exec(readFileSync(file, "utf8"))?.[1];
    const report = JSON.parse(embedded!.replace(/\\u003c/g, "<")) as BurstReport;
    expect(report.queue.polled).toBe(true);
    expect(report.queue.peakDepth).toBe(60);
    const last = report.queue.samples[report.queue.samples.length - 1]!;
    expect(last.visible + last.inFlight).toBe(0);
  });
});
