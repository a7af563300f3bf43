import { createServer, type Server, type Socket } from "node:net";
import { randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { PatternMessage, PatternResult } from "../../src/shared/pattern-messages.js";

/**
 * A WebSocket server on 127.0.0.1 that answers each frame the way the deployed pattern does: one
 * PatternResult per message, sent back on the connection that sent it. It exists to test the
 * client's edge cases that a healthy pattern never shows on demand. Misbehaviour is chosen per
 * message by its `data` text (so a test driving the built binary can trigger it), or for every
 * message through `behavior`:
 *   "!error"         answer with API Gateway's error frame instead of a result
 *   "!silent"        never answer
 *   "!close CODE R"  close the connection with CODE and reason R
 *   "!hold"          hold this result (and the following ones) until "!release"
 *   "!release"       answer it, then release the held results in reverse order (out of order)
 *   "!dup"           answer twice (a redelivery)
 */
export interface FakePatternServer {
  url: string;
  /** Every text frame received, in order. */
  frames: string[];
  /** Connections accepted so far. */
  connections(): number;
  behavior: { errorAll?: boolean; delayMs?: number };
  /** Close every open connection from the server side. */
  closeAll(code: number, reason: string): void;
  stop(): Promise<void>;
}

export async function startFakePatternServer(): Promise<FakePatternServer> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  const frames: string[] = [];
  const sockets = new Set<WebSocket>();
  let accepted = 0;
  let sequence = 10_000_000_000_000_000n;
  const behavior: FakePatternServer["behavior"] = {};

  wss.on("connection", (socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // API Gateway's connection ids: 16 characters of URL-safe base64 ending in "=".
    const connectionId = `${randomBytes(11).toString("base64url").slice(0, 15)}=`;
    let held: string[] | undefined;
    const send = (text: string) => {
      const go = () => socket.readyState === socket.OPEN && socket.send(text);
      if (behavior.delayMs) setTimeout(go, behavior.delayMs);
      else go();
    };
    socket.on("message", (data, isBinary) => {
      if (isBinary) {
        socket.close(1003, "Binary frames are not supported");
        return;
      }
      const raw = data.toString("utf8");
      frames.push(raw);
      const requestId = randomBytes(11).toString("base64url").slice(0, 15) + "=";
      let message: PatternMessage;
      try {
        message = JSON.parse(raw) as PatternMessage;
        if (typeof message !== "object" || message === null) throw new Error("not an object");
      } catch {
        send(JSON.stringify({ message: "Internal server error", connectionId, requestId }));
        return;
      }
      const text = typeof message.data === "string" ? message.data : "";
      if (behavior.errorAll || text === "!error") {
        send(JSON.stringify({ message: "Internal server error", connectionId, requestId }));
        return;
      }
      if (text === "!silent") return;
      const close = /^!close (\d{4})\s*(.*)$/.exec(text);
      if (close) {
        socket.close(Number(close[1]), close[2] ?? "");
        return;
      }
      sequence += 1n;
      const result: PatternResult = {
        type: "result",
        id: typeof message.id === "string" ? message.id : null,
        seq: typeof message.seq === "number" ? message.seq : null,
        messageId: randomUUID(),
        group: typeof message.MessageGroupId === "string" ? message.MessageGroupId : connectionId,
        sequenceNumber: sequence.toString(),
        receiveCount: 1,
        connectionId,
        requestId,
        queueWaitMs: 3,
        processedAt: Date.now(),
        data: message.data,
      };
      const frame = JSON.stringify(result);
      if (text === "!hold") held = held ?? [];
      if (held && text !== "!release") {
        held.push(frame);
        return;
      }
      send(frame);
      if (text === "!dup") send(JSON.stringify({ ...result, receiveCount: 2 }));
      if (text === "!release" && held) {
        for (const h of held.reverse()) send(h);
        held = undefined;
      }
    });
  });

  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/production`,
    frames,
    connections: () => accepted,
    behavior,
    closeAll(code, reason) {
      for (const socket of sockets) socket.close(code, reason);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** A TCP server that accepts connections and never says a word: a URL that does not answer. */
export async function startSilentServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/production`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port with nothing listening on it (bound, read, then released). */
export async function freePortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `ws://127.0.0.1:${port}/production`;
}
