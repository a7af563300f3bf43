import WebSocket from "ws";

/** A WebSocket client for tests: frames in arrival order, awaited one at a time, and its close. */
export interface FrameClient {
  socket: WebSocket;
  next(): Promise<string>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens `url`; rejects with `HTTP <status>` when the server answers the upgrade with a status. */
export async function openFrameClient(url: string, headers: Record<string, string> = {}): Promise<FrameClient> {
  const socket = new WebSocket(url, { headers });
  const queue: string[] = [];
  const waiting: ((text: string) => void)[] = [];
  socket.on("message", (data: Buffer) => {
    const text = data.toString("utf8");
    const waiter = waiting.shift();
    if (waiter !== undefined) waiter(text);
    else queue.push(text);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.once("error", reject);
  });
  return { socket, closed, next: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiting.push(resolve))) };
}

/**
 * Sends `frames` in one TCP write (the socket corked around the sends), so that the server reads
 * them together: "frames that arrive close together", without depending on timing.
 */
export function sendTogether(socket: WebSocket, frames: readonly string[]): void {
  // ws keeps its TCP socket private; corking it is the only way to coalesce whole frames.
  const tcp = (socket as unknown as { _socket: import("node:net").Socket })._socket;
  tcp.cork();
  for (const frame of frames) socket.send(frame);
  tcp.uncork();
}
