import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import type { PatternMessage, PatternResult } from "../../../src/shared/pattern-messages.js";

/**
 * A stand-in for the deployed pattern, for `wsq burst` tests that must control exactly what comes
 * back: a real `ws` server on 127.0.0.1:0 that answers each frame with a PatternResult, and can be
 * told to drop, duplicate, reorder, misroute or refuse particular messages, or to hold everything
 * back (a "stopped function") until released. It records every frame it received, so tests compare
 * the burst's figures against what really went over the wire.
 *
 * An optional `queue` hook lets a test put a real SQS queue in the middle (ws → SendMessage →
 * ReceiveMessage → answer), so that depth polling sees real numbers.
 */
export interface FakeServerOptions {
  /** Ids whose result is never sent. */
  drop?: ReadonlySet<string>;
  /** Ids whose result is sent twice (the second with receiveCount 2, as a redelivery would). */
  duplicate?: ReadonlySet<string>;
  /** Ids whose result is held back and sent right after the next result of the same group. */
  reorder?: ReadonlySet<string>;
  /**
   * Ids whose frame reaches the "queue" after the next frame of its group, as API Gateway may do
   * with frames sent close together: that frame gets the lower sequence number and is answered
   * first, so results still come in the queue's order.
   */
  reorderBeforeQueue?: ReadonlySet<string>;
  /** Ids whose result goes to another connection than the sender's. */
  misroute?: ReadonlySet<string>;
  /** Ids answered with API Gateway's error frame instead of a result. */
  errorFrame?: ReadonlySet<string>;
  /** Start paused: results are held until resume() (a function that is not consuming). */
  paused?: boolean;
  /** Close the connection with this code after receiving this many frames on it. */
  closeAfter?: { frames: number; code: number };
  /** Instead of answering at once, hand each frame to this queue and answer what it returns. */
  queue?: FakeQueue;
  /** Accept this many connections, then answer every further upgrade request with this HTTP status. */
  refuseUpgrades?: { after: number; status: number };
}

export interface FakeQueue {
  enqueue(body: string, connectionId: string, requestTimeEpoch: number): Promise<void>;
  /** Return the next batch of processed bodies, in FIFO order, or [] when none is ready. */
  drain(): Promise<{ body: string; connectionId: string; requestTimeEpoch: number; messageId: string; sequenceNumber: string | null; receiveCount: number }[]>;
}

export interface ReceivedFrame {
  connectionId: string;
  at: number;
  frame: PatternMessage;
}

export interface FakePatternServer {
  url: string;
  received: ReceivedFrame[];
  /** connectionIds in the order connections were accepted. */
  connections: string[];
  /** Release results held while paused. */
  resume(): void;
  close(): Promise<void>;
}

function newConnectionId(): string {
  // API Gateway's ids look like 16 URL-safe base64 characters ending in "=" (aws-semantics.md §3).
  return `${randomBytes(11).toString("base64url").slice(0, 15)}=`;
}

export async function startFakePatternServer(options: FakeServerOptions = {}): Promise<FakePatternServer> {
  let upgrades = 0;
  const refuse = options.refuseUpgrades;
  const server = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    ...(refuse ? { verifyClient: (_info, accept) => (++upgrades > refuse.after ? accept(false, refuse.status) : accept(true)) } : {}),
  });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const sockets = new Map<string, WebSocket>();
  const order: string[] = [];
  const received: ReceivedFrame[] = [];
  const held: { target: string; payload: string }[] = [];
  const heldForReorder = new Map<string, PatternResult>();
  const heldBeforeQueue = new Map<string, { connectionId: string; frame: PatternMessage; requestTimeEpoch: number }>();
  let paused = options.paused === true;
  let sequence = 10_000_000_000_000_000_000n;

  const deliver = (target: string, payload: string) => {
    if (paused) {
      held.push({ target, payload });
      return;
    }
    sockets.get(target)?.send(payload);
  };

  const answer = (
    connectionId: string,
    frame: PatternMessage,
    meta: { requestTimeEpoch: number; messageId?: string; sequenceNumber?: string | null; receiveCount?: number },
  ) => {
    const id = typeof frame.id === "string" ? frame.id : null;
    if (id !== null && options.drop?.has(id)) return;
    const requestId = randomBytes(8).toString("base64url");
    if (id !== null && options.errorFrame?.has(id)) {
      deliver(connectionId, JSON.stringify({ message: "Internal server error", connectionId, requestId }));
      return;
    }
    sequence += 7n;
    const processedAt = Date.now();
    const result: PatternResult = {
      type: "result",
      id,
      seq: typeof frame.seq === "number" ? frame.seq : null,
      messageId: meta.messageId ?? randomBytes(16).toString("hex"),
      group: String(frame.MessageGroupId ?? connectionId),
      sequenceNumber: meta.sequenceNumber ?? sequence.toString(),
      receiveCount: meta.receiveCount ?? 1,
      connectionId,
      requestId,
      queueWaitMs: Math.max(0, processedAt - meta.requestTimeEpoch),
      processedAt,
      data: frame.data ?? null,
    };
    let target = connectionId;
    if (id !== null && options.misroute?.has(id)) target = order.find((c) => c !== connectionId && sockets.has(c)) ?? connectionId;
    if (id !== null && options.reorder?.has(id)) {
      heldForReorder.set(result.group, result);
      return;
    }
    deliver(target, JSON.stringify(result));
    const late = heldForReorder.get(result.group);
    if (late) {
      heldForReorder.delete(result.group);
      deliver(late.connectionId, JSON.stringify(late));
    }
    if (id !== null && options.duplicate?.has(id)) deliver(target, JSON.stringify({ ...result, receiveCount: 2 }));
  };

  // With a queue in the middle, one pump drains it while not paused; a call that arrives while it
  // runs makes it look again, so no enqueued message is stranded.
  let pumping = false;
  let again = false;
  const pump = async () => {
    if (!options.queue || paused) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    try {
      do {
        again = false;
        for (;;) {
          const batch = await options.queue.drain();
          if (batch.length === 0) break;
          for (const item of batch) answer(item.connectionId, JSON.parse(item.body) as PatternMessage, item);
        }
      } while (again && !paused);
    } finally {
      pumping = false;
    }
  };

  server.on("connection", (socket) => {
    const connectionId = newConnectionId();
    sockets.set(connectionId, socket);
    order.push(connectionId);
    let frames = 0;
    // One SendMessage at a time per connection, so the queue gets a connection's frames in order.
    let enqueued: Promise<void> = Promise.resolve();
    socket.on("message", (data) => {
      const requestTimeEpoch = Date.now();
      const text = Buffer.isBuffer(data) ? data.toString("utf8") : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString("utf8");
      const frame = JSON.parse(text) as PatternMessage;
      received.push({ connectionId, at: requestTimeEpoch, frame });
      frames += 1;
      if (options.queue) {
        const queue = options.queue;
        enqueued = enqueued.then(() => queue.enqueue(text, connectionId, requestTimeEpoch));
        void enqueued.then(pump);
      } else {
        const id = typeof frame.id === "string" ? frame.id : null;
        const group = String(frame.MessageGroupId ?? connectionId);
        if (id !== null && options.reorderBeforeQueue?.has(id)) {
          heldBeforeQueue.set(group, { connectionId, frame, requestTimeEpoch });
        } else {
          answer(connectionId, frame, { requestTimeEpoch });
          const overtaken = heldBeforeQueue.get(group);
          if (overtaken) {
            heldBeforeQueue.delete(group);
            answer(overtaken.connectionId, overtaken.frame, { requestTimeEpoch: overtaken.requestTimeEpoch });
          }
        }
      }
      if (options.closeAfter && frames === options.closeAfter.frames) socket.close(options.closeAfter.code, "test close");
    });
    socket.on("close", () => sockets.delete(connectionId));
  });

  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/production`,
    received,
    connections: order,
    resume() {
      paused = false;
      for (const { target, payload } of held.splice(0)) sockets.get(target)?.send(payload);
      void pump();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets.values()) socket.terminate();
        server.close(() => resolve());
      }),
  };
}
