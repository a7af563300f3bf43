import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import type WebSocket from "ws";
import { WsqError, ExitCode } from "../../shared/errors.js";
import {
  buildMessage,
  isValidMessageGroupId,
  parseIncomingFrame,
  DEFAULT_ACTION,
  type ApiErrorFrame,
  type ConsumerDirectives,
  type PatternResult,
} from "../../shared/pattern-messages.js";
import { openWebSocket } from "../common/open-websocket.js";
import { describeCloseCode } from "../common/close-codes.js";
import { Correlator, type ResultMatch, type SentMessage, type SessionStats } from "./correlation.js";

/**
 * API Gateway closes a connection after 10 minutes without traffic
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html, checked 2026-11-24).
 * A ping every 3 minutes stays well inside that and also finds a dead connection early. Pings
 * are control frames: they never reach the queue or the handler.
 */
export const KEEPALIVE_INTERVAL_MS = 3 * 60_000;
/** A ping not answered in this time means the connection is dead; it is then dropped (1006). */
export const PONG_TIMEOUT_MS = 30_000;
/**
 * API Gateway's WebSocket frame limit is 32 KB (and 128 KB per message); a bigger frame closes the
 * connection with 1009. wsq sends each message as one frame, so it refuses frames above this
 * before they can cost the user the connection.
 */
export const MAX_FRAME_BYTES = 32 * 1024;
/** Reconnect backoff: doubles from the base up to the cap, with jitter so many clients spread out. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_CAP_MS = 30_000;
export const MAX_RECONNECT_ATTEMPTS = 10;
/** /burst sends at most this many at once: bounded load from an interactive prompt. */
export const MAX_BURST = 10_000;

export interface SessionOptions {
  url: string;
  headers?: Record<string, string>;
  group: string;
  connectTimeoutMs?: number;
  reconnect?: boolean;
  keepaliveIntervalMs?: number;
  pongTimeoutMs?: number;
  action?: string;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
  random?: () => number;
}

export type SessionEvent =
  | { type: "connecting"; url: string; attempt: number }
  | { type: "open"; url: string; connection: number }
  | { type: "sent"; message: SentMessage }
  | ({ type: "result" } & ResultMatch)
  | { type: "api-error"; error: ApiErrorFrame; message: SentMessage | undefined; raw: string }
  | { type: "frame"; raw: string; binary: boolean }
  | { type: "connection-id"; connectionId: string }
  | { type: "close"; code: number; reason: string; meaning: string; byClient: boolean; orphaned: SentMessage[]; connection: number }
  | { type: "reconnect-scheduled"; attempt: number; delayMs: number }
  | { type: "reconnect-failed"; attempt: number; error: WsqError; givingUp: boolean }
  | { type: "keepalive-timeout"; timeoutMs: number };

export type SessionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/** Capped exponential backoff with "equal jitter": half the step fixed, half random. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * One `wsq connect` session: the connection (and its replacements), sending in the pattern's
 * format, tying results to messages, pings and keepalive. It knows nothing of terminals; the
 * interactive and NDJSON renderers subscribe to its events.
 */
export class ConnectSession {
  private readonly correlator = new Correlator();
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private readonly seqByGroup = new Map<string, number>();
  private readonly idPrefix = randomBytes(3).toString("hex");
  private readonly now: () => number;
  private readonly random: () => number;
  private socket: WebSocket | undefined;
  private connectionNumber = 0;
  private nextId = 1;
  private closingByClient = false;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pings: { startedMs: number; resolve: (rttMs: number) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }[] = [];
  private currentGroup: string;
  /** Directives for the next plain-text message (`/work`, `/fail`), then cleared. */
  private pendingDirectives: ConsumerDirectives = {};
  state: SessionState = "idle";
  /** The API's id for this connection, learned from the first result (the client is never told directly). */
  connectionId: string | undefined;

  constructor(private readonly options: SessionOptions) {
    this.currentGroup = options.group;
    this.now = options.now ?? (() => performance.now());
    this.random = options.random ?? Math.random;
  }

  get url(): string {
    return this.options.url;
  }

  get group(): string {
    return this.currentGroup;
  }

  set group(name: string) {
    this.currentGroup = name;
  }

  /** The consumer directives the next plain-text message will carry. */
  get nextDirectives(): ConsumerDirectives {
    return { ...this.pendingDirectives };
  }

  /** Sets (or, with undefined, clears) a directive for the next plain-text message only. */
  setNextDirective<K extends keyof ConsumerDirectives>(name: K, value: ConsumerDirectives[K] | undefined): void {
    if (value === undefined) delete this.pendingDirectives[name];
    else this.pendingDirectives[name] = value;
  }

  /** The number of the current connection (1 for the first, +1 per reconnect). */
  get connection(): number {
    return this.connectionNumber;
  }

  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): SessionStats {
    return this.correlator.stats();
  }

  pending(): SentMessage[] {
    return this.correlator.pending();
  }

  /** True when every message has its result (or an error frame accounts for it). */
  settled(): boolean {
    return this.correlator.settled();
  }

  /** Ends the wait: every message still pending is counted as unanswered and returned. */
  giveUp(): SentMessage[] {
    return this.correlator.giveUp();
  }

  /** Open the first connection; throws a WsqError (exit 1) when the URL does not answer. */
  async connect(): Promise<void> {
    this.closingByClient = false;
    this.state = "connecting";
    this.emit({ type: "connecting", url: this.options.url, attempt: 1 });
    try {
      const socket = await openWebSocket(this.options.url, { headers: this.options.headers ?? {}, connectTimeoutMs: this.options.connectTimeoutMs });
      this.adopt(socket);
    } catch (error) {
      this.state = "closed";
      throw error;
    }
  }

  /** Close the current connection on purpose and open a new one. */
  async reconnect(): Promise<void> {
    this.cancelReconnect();
    await this.closeSocket(1000, "wsq reconnect");
    await this.connect();
  }

  async close(): Promise<void> {
    this.cancelReconnect();
    await this.closeSocket(1000, "wsq connect closed");
    this.state = "closed";
  }

  sendText(text: string): SentMessage {
    const group = this.currentGroup;
    const seq = (this.seqByGroup.get(group) ?? 0) + 1;
    const id = `${this.idPrefix}-${this.nextId}`;
    const directives = Object.keys(this.pendingDirectives).length > 0 ? { ...this.pendingDirectives } : undefined;
    const frame = buildMessage({
      id,
      group,
      seq,
      data: text,
      action: this.options.action ?? DEFAULT_ACTION,
      sentAt: Date.now(),
      ...(directives ? { directives } : {}),
    });
    const message = this.transmit(frame, { id, group, seq, ...(directives ? { directives } : {}) });
    this.seqByGroup.set(group, seq);
    this.nextId += 1;
    this.pendingDirectives = {};
    return message;
  }

  /** A JSON frame the user wrote goes out exactly as written; its own id/group/seq, if any, are used to match. */
  sendJson(frame: string, value: unknown): SentMessage {
    const record = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    const group: unknown = record.MessageGroupId;
    return this.transmit(frame, {
      id: typeof record.id === "string" ? record.id : null,
      group: typeof group === "string" ? group : null,
      seq: typeof record.seq === "number" ? record.seq : null,
      // The template makes the group a string ("$group"): a string SQS refuses, or an object or an
      // array (rendered as Velocity text), fails the frame for itself, not for the queue's rate.
      queueable: typeof group === "string" ? isValidMessageGroupId(group) : typeof group !== "object" || group === null,
    });
  }

  sendBurst(count: number): SentMessage[] {
    if (!Number.isInteger(count) || count < 1 || count > MAX_BURST) {
      throw new WsqError("BAD_BURST", `A burst is 1 to ${MAX_BURST} messages.`, { exitCode: ExitCode.usage });
    }
    const sent: SentMessage[] = [];
    for (let i = 1; i <= count; i += 1) sent.push(this.sendText(`burst ${i}/${count}`));
    return sent;
  }

  /** WebSocket ping → pong round trip in ms. */
  ping(timeoutMs: number = this.options.pongTimeoutMs ?? PONG_TIMEOUT_MS): Promise<number> {
    const socket = this.requireOpen();
    return new Promise((resolve, reject) => {
      const entry = {
        startedMs: this.now(),
        resolve,
        reject,
        timer: setTimeout(() => {
          this.pings = this.pings.filter((p) => p !== entry);
          reject(new WsqError("PING_TIMEOUT", `No pong within ${timeoutMs / 1000} s.`));
        }, timeoutMs),
      };
      this.pings.push(entry);
      socket.ping();
    });
  }

  private transmit(frame: string, fields: Pick<SentMessage, "id" | "group" | "seq" | "queueable" | "directives">): SentMessage {
    const socket = this.requireOpen();
    const bytes = Buffer.byteLength(frame);
    if (bytes > MAX_FRAME_BYTES) {
      throw new WsqError(
        "MESSAGE_TOO_BIG",
        `That message is ${bytes} bytes as a frame; API Gateway allows ${MAX_FRAME_BYTES} bytes per frame and would close the connection (1009).`,
        {
          hint: "Send less data per message.",
          exitCode: ExitCode.usage,
        },
      );
    }
    const message = this.correlator.track({ ...fields, frame, sentAtMs: this.now(), connection: this.connectionNumber });
    socket.send(frame);
    this.emit({ type: "sent", message });
    return message;
  }

  private requireOpen(): WebSocket {
    if (this.socket && this.state === "open") return this.socket;
    const hint = this.state === "reconnecting" ? "wsq is reconnecting; try again in a moment." : "Use /reconnect (interactive) or run the command again.";
    throw new WsqError("NOT_CONNECTED", "Not connected.", { hint });
  }

  private adopt(socket: WebSocket): void {
    this.socket = socket;
    this.connectionNumber += 1;
    this.connectionId = undefined;
    this.state = "open";
    const connection = this.connectionNumber;
    socket.on("message", (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
    socket.on("pong", () => this.onPong());
    // Errors after open are followed by a close event, which is where they are reported.
    socket.on("error", () => {});
    socket.once("close", (code: number, reason: Buffer) => this.onClose(socket, connection, code, reason.toString("utf8")));
    this.startKeepalive(socket);
    this.emit({ type: "open", url: this.options.url, connection });
  }

  private onFrame(data: Buffer, isBinary: boolean): void {
    const raw = isBinary ? data.toString("base64") : data.toString("utf8");
    if (isBinary) {
      this.emit({ type: "frame", raw, binary: true });
      return;
    }
    const frame = parseIncomingFrame(raw);
    if (frame.kind === "result") {
      this.learnConnectionId(frame.result);
      this.emit({ type: "result", ...this.correlator.matchResult(frame.result, this.now(), this.connectionNumber) });
    } else if (frame.kind === "api-error") {
      const message = this.correlator.matchError(frame.error, this.connectionNumber);
      this.emit({ type: "api-error", error: frame.error, message, raw });
    } else {
      this.emit({ type: "frame", raw, binary: false });
    }
  }

  private learnConnectionId(result: PatternResult): void {
    if (this.connectionId === undefined && typeof result.connectionId === "string") {
      this.connectionId = result.connectionId;
      this.emit({ type: "connection-id", connectionId: result.connectionId });
    }
  }

  private onPong(): void {
    const ping = this.pings.shift();
    if (!ping) return;
    clearTimeout(ping.timer);
    ping.resolve(Math.max(0, this.now() - ping.startedMs));
  }

  private onClose(socket: WebSocket, connection: number, code: number, reason: string): void {
    this.stopKeepalive();
    for (const ping of this.pings.splice(0)) {
      clearTimeout(ping.timer);
      ping.reject(new WsqError("NOT_CONNECTED", "The connection closed before the pong arrived."));
    }
    if (this.socket === socket) this.socket = undefined;
    const byClient = this.closingByClient;
    // Results go back through @connections to the connection that sent the message; once it is
    // gone, API Gateway answers the handler's PostToConnection with 410 Gone and the result is lost.
    const orphaned = this.correlator.orphan(connection);
    this.state = "closed";
    this.emit({ type: "close", code, reason, meaning: describeCloseCode(code), byClient, orphaned, connection });
    if (!byClient && this.options.reconnect) this.scheduleReconnect(1);
  }

  private scheduleReconnect(attempt: number): void {
    this.state = "reconnecting";
    const delayMs = reconnectDelayMs(attempt, this.random);
    this.emit({ type: "reconnect-scheduled", attempt, delayMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.emit({ type: "connecting", url: this.options.url, attempt });
      openWebSocket(this.options.url, { headers: this.options.headers ?? {}, connectTimeoutMs: this.options.connectTimeoutMs }).then(
        (socket) => {
          if (this.state !== "reconnecting") {
            socket.terminate();
            return;
          }
          this.adopt(socket);
        },
        (error: unknown) => {
          if (this.state !== "reconnecting") return;
          const givingUp = attempt >= MAX_RECONNECT_ATTEMPTS;
          const wsqError = error instanceof WsqError ? error : new WsqError("CONNECT_FAILED", String(error));
          this.emit({ type: "reconnect-failed", attempt, error: wsqError, givingUp });
          if (givingUp) this.state = "closed";
          else this.scheduleReconnect(attempt + 1);
        },
      );
    }, delayMs);
  }

  private cancelReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (this.state === "reconnecting") this.state = "closed";
  }

  private startKeepalive(socket: WebSocket): void {
    const intervalMs = this.options.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS;
    const pongTimeoutMs = this.options.pongTimeoutMs ?? PONG_TIMEOUT_MS;
    this.keepaliveTimer = setInterval(() => {
      if (this.socket !== socket) return;
      this.ping(pongTimeoutMs).catch(() => {
        if (this.socket !== socket) return;
        this.emit({ type: "keepalive-timeout", timeoutMs: pongTimeoutMs });
        socket.terminate();
      });
    }, intervalMs);
    this.keepaliveTimer.unref();
  }

  private stopKeepalive(): void {
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  private async closeSocket(code: number, reason: string): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.closingByClient = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
      }, 2_000);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.close(code, reason);
    });
    this.closingByClient = false;
  }

  private emit(event: SessionEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
