import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import type { AddressInfo } from "node:net";
import { ConnectSession, MAX_FRAME_BYTES, type SessionEvent } from "../../../../src/client/connect/session.js";
import { startFakePatternServer, type FakePatternServer } from "../../../helpers/fake-pattern-server.js";

// The session engine against a real WebSocket server on loopback (no terminal involved).

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeServer(): Promise<FakePatternServer> {
  const server = await startFakePatternServer();
  cleanups.push(() => server.stop());
  return server;
}

function session(
  url: string,
  extra: Partial<ConstructorParameters<typeof ConnectSession>[0]> = {},
): { s: ConnectSession; events: SessionEvent[]; next: (type: SessionEvent["type"]) => Promise<SessionEvent> } {
  const s = new ConnectSession({ url, group: "g1", ...extra });
  cleanups.push(() => s.close());
  const events: SessionEvent[] = [];
  // `next` consumes events in order: it returns the first event of that type after the last one
  // it returned, whether it already happened or is still to come (events can fire in one tick).
  let cursor = 0;
  let wake: () => void = () => {};
  s.subscribe((event) => {
    events.push(event);
    wake();
  });
  const next = async (type: SessionEvent["type"]): Promise<SessionEvent> => {
    while (true) {
      const index = events.findIndex((e, i) => i >= cursor && e.type === type);
      if (index >= 0) {
        cursor = index + 1;
        return events[index] as SessionEvent;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  return { s, events, next };
}

describe("ConnectSession", () => {
  it("numbers seq per group, learns the connection id from the first result and settles when all are answered", async () => {
    const server = await fakeServer();
    const { s, next } = session(server.url);
    await s.connect();
    s.sendText("a");
    s.group = "g2";
    s.sendText("b");
    s.group = "g1";
    s.sendText("c");
    expect(server.frames).toHaveLength(0); // nothing has reached the server synchronously
    const id = (await next("connection-id")) as Extract<SessionEvent, { type: "connection-id" }>;
    while (!s.settled()) await next("result");
    const frames = server.frames.map((f) => JSON.parse(f) as { MessageGroupId: string; seq: number });
    expect(frames.map((f) => [f.MessageGroupId, f.seq])).toEqual([
      ["g1", 1],
      ["g2", 1],
      ["g1", 2],
    ]);
    expect(s.connectionId).toBe(id.connectionId);
    expect(s.stats()).toMatchObject({ sent: 3, answered: 3, pending: 0 });
  });

  it("refuses a frame above API Gateway's 32 KB limit before sending it", async () => {
    const server = await fakeServer();
    const { s } = session(server.url);
    await s.connect();
    expect(() => s.sendText("x".repeat(MAX_FRAME_BYTES))).toThrow(/API Gateway allows 32768 bytes per frame/);
    expect(s.stats().sent).toBe(0);
  });

  it("measures a ping round trip", async () => {
    const server = await fakeServer();
    const { s } = session(server.url);
    await s.connect();
    expect(await s.ping()).toBeGreaterThanOrEqual(0);
  });

  it("drops a connection whose pongs stop coming, and reconnects with backoff when asked to", async () => {
    // A server that never answers pings: the keepalive must notice and drop the connection.
    const mute = new WebSocketServer({ host: "127.0.0.1", port: 0, autoPong: false });
    await new Promise<void>((resolve) => mute.once("listening", resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const client of mute.clients) client.terminate();
          mute.close(() => resolve());
        }),
    );
    const url = `ws://127.0.0.1:${(mute.address() as AddressInfo).port}/`;
    const { s, next, events } = session(url, { keepaliveIntervalMs: 50, pongTimeoutMs: 100, reconnect: true, random: () => 0 });
    await s.connect();
    const timeout = await next("keepalive-timeout");
    expect(timeout).toMatchObject({ timeoutMs: 100 });
    const close = (await next("close")) as Extract<SessionEvent, { type: "close" }>;
    expect(close).toMatchObject({ code: 1006, byClient: false });
    expect(await next("reconnect-scheduled")).toMatchObject({ attempt: 1, delayMs: 250 });
    expect(await next("open")).toMatchObject({ connection: 2 });
    expect(
      events
        .filter((e) => e.type === "connecting")
        .map((e) => (e as { attempt: number }).attempt)
        .slice(0, 2),
    ).toEqual([1, 1]);
  });

  it("orphans messages of a connection the server closed, then retries until the server is back", async () => {
    const server = await fakeServer();
    const { s, next } = session(server.url, { reconnect: true, random: () => 0 });
    await s.connect();
    s.sendText("!silent");
    server.closeAll(1012, "restarting");
    const close = (await next("close")) as Extract<SessionEvent, { type: "close" }>;
    expect(close).toMatchObject({ code: 1012, reason: "restarting", byClient: false, meaning: "service restart" });
    expect(close.orphaned.map((m) => m.index)).toEqual([1]);
    await next("open");
    s.sendText("after");
    await next("result");
    expect(s.stats()).toMatchObject({ sent: 2, answered: 1, orphaned: 1, pending: 0 });
  });

  it("closes on request without reconnecting and reports it as the client's close", async () => {
    const server = await fakeServer();
    const { s, events } = session(server.url, { reconnect: true });
    await s.connect();
    await s.close();
    expect(events.filter((e) => e.type === "close")).toMatchObject([{ code: 1000, byClient: true }]);
    expect(events.some((e) => e.type === "reconnect-scheduled")).toBe(false);
    expect(s.state).toBe("closed");
  });

  it("puts /work and /fail directives in the next plain-text message only", async () => {
    const server = await fakeServer();
    const { s, next } = session(server.url);
    await s.connect();
    s.setNextDirective("work", 200);
    s.setNextDirective("fail", "once");
    expect(s.nextDirectives).toEqual({ work: 200, fail: "once" });
    const first = s.sendText("slow and failing");
    const second = s.sendText("plain");
    expect(first.directives).toEqual({ work: 200, fail: "once" });
    expect(second.directives).toBeUndefined();
    expect(JSON.parse(first.frame)).toMatchObject({ data: "slow and failing", wsq: { work: 200, fail: "once" } });
    expect(JSON.parse(second.frame)).not.toHaveProperty("wsq");
    s.setNextDirective("fail", "always");
    s.setNextDirective("fail", undefined);
    expect(s.nextDirectives).toEqual({});
    while (!s.settled()) await next("result");
  });
});
