import type WebSocket from "ws";
import { openWebSocket } from "../client/common/open-websocket.js";
import { parseIncomingFrame, type ApiErrorFrame, type PatternResult } from "../shared/pattern-messages.js";
import type { FrameObservation } from "./observations.js";

/**
 * One connection that sends a frame at a time and waits for what answers it: a result, API
 * Gateway's error frame, or nothing within the wait. One frame in flight at a time, so whatever
 * comes back belongs to it.
 */
export class FrameProbe {
  private readonly waiters: ((frame: { result?: PatternResult; error?: ApiErrorFrame }) => void)[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const frame = parseIncomingFrame(data.toString("utf8"));
      const waiter = this.waiters.shift();
      if (frame.kind === "result") {
        waiter?.({ result: frame.result });
      } else if (frame.kind === "api-error") {
        waiter?.({ error: frame.error });
      }
    });
    socket.on("error", () => {});
  }

  static async open(url: string, connectTimeoutMs?: number): Promise<FrameProbe> {
    return new FrameProbe(await openWebSocket(url, connectTimeoutMs === undefined ? {} : { connectTimeoutMs }));
  }

  /** Sends `text` and waits up to `waitMs` for its answer. */
  async send(text: string, waitMs: number): Promise<FrameObservation> {
    const started = Date.now();
    const answer = new Promise<{ result?: PatternResult; error?: ApiErrorFrame } | undefined>((resolve) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        resolve(undefined);
      }, waitMs);
      const waiter = (frame: { result?: PatternResult; error?: ApiErrorFrame }) => {
        clearTimeout(timer);
        resolve(frame);
      };
      this.waiters.push(waiter);
    });
    this.socket.send(text);
    const frame = await answer;
    const waitedMs = Date.now() - started;
    if (frame?.result !== undefined) {
      const r = frame.result;
      return {
        sent: text,
        outcome: "result",
        group: r.group,
        groupIsConnectionId: r.group === r.connectionId,
        data: r.data,
        id: r.id,
        waitedMs,
      };
    }
    if (frame?.error !== undefined) {
      return { sent: text, outcome: "error", errorMessage: frame.error.message, errorKeys: Object.keys(frame.error).sort(), waitedMs };
    }
    return { sent: text, outcome: "none", waitedMs };
  }

  close(): void {
    this.socket.close(1000, "wsq verify done");
  }
}
