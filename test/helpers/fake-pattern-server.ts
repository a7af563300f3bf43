import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { createServer, type Server, type Socket } from "node:net";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
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
 *   "!silent…"       never answer (any text after it is ignored)
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
  /** The upgrade request headers of each accepted connection, in order. */
  upgradeHeaders: IncomingHttpHeaders[];
  behavior: { errorAll?: boolean; delayMs?: number };
  /** Close every open connection from the server side. */
  closeAll(code: number, reason: string): void;
  /** Resolves with the first received frame (past or future) that matches. */
  waitForFrame(predicate: (frame: string) => boolean): Promise<string>;
  /** Send a text frame to every open connection (an unsolicited message). */
  push(text: string): void;
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
  const frameWaiters = new Set<(frame: string) => void>();

  const upgradeHeaders: IncomingHttpHeaders[] = [];
  wss.on("connection", (socket, request) => {
    accepted += 1;
    upgradeHeaders.push(request.headers);
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
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        socket.close(1003, "Binary frames are not supported");
        return;
      }
      const raw = data.toString("utf8");
      frames.push(raw);
      for (const waiter of [...frameWaiters]) waiter(raw);
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
      if (text.startsWith("!silent")) return;
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
    upgradeHeaders,
    behavior,
    closeAll(code, reason) {
      for (const socket of sockets) socket.close(code, reason);
    },
    waitForFrame(predicate) {
      const seen = frames.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const waiter = (frame: string) => {
          if (!predicate(frame)) return;
          frameWaiters.delete(waiter);
          resolve(frame);
        };
        frameWaiters.add(waiter);
      });
    },
    push(text) {
      for (const socket of sockets) socket.send(text);
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

/** An HTTP server that answers every WebSocket upgrade with `status` (an authorizer saying no, a wrong path). */
export async function startRejectingServer(status: number): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createHttpServer((_request, response) => response.writeHead(status).end());
  server.on("upgrade", (_request, socket: Socket) => {
    socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/production`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
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

// ---------------------------------------------------------------- running the built binary

/** The built CLI (`npm run build` first). */
export const WSQ_BIN = join(import.meta.dirname, "../../bin/wsq.js");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as NDJSON, one object per line. */
  records: Record<string, unknown>[];
}

/** A throwaway WSQ_HOME so that no test reads or writes the user's ~/.wsq. */
export function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), "wsq-connect-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Run the built binary with piped stdio and wait for it to exit (killed after `timeoutMs`).
 * Resolves on exit rather than on stream close, because `wsq local start` leaves a daemon behind
 * that inherits nothing but may hold the pipes briefly.
 */
export function runWsq(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; home?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WSQ_BIN, ...args], {
      env: { ...process.env, NO_COLOR: "1", WSQ_HOME: options.home ?? tempHome(), ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    const killer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    let finished = false;
    const finish = (code: number | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(killer);
      resolve({
        code,
        stdout,
        stderr,
        get records() {
          return stdout
            .split("\n")
            .filter((line) => line.trim() !== "")
            .map((line) => JSON.parse(line) as Record<string, unknown>);
        },
      });
    };
    child.on("close", (code) => finish(code));
    child.on("exit", (code) => {
      // Give the pipes a moment to drain, then stop waiting for a close a daemon may delay.
      setTimeout(() => finish(code), 500).unref();
    });
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}
