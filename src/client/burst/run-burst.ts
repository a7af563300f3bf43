import { performance } from "node:perf_hooks";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type WebSocket from "ws";
import { openWebSocket, WebSocketRejectedError } from "../common/open-websocket.js";
import { describeCloseCode } from "../common/close-codes.js";
import { apiErrorKind, parseIncomingFrame } from "../../shared/pattern-messages.js";
import { describeError, WsqError } from "../../shared/errors.js";
import { buildFrame, connectionOpenDelayMs, frameTemplate, stampFrame, type BurstPlan, type PlannedMessage } from "./plan.js";
import type { QueueProbe } from "./queue-probe.js";
import { computeReport } from "./stats.js";
import type { BurstConfig, BurstErrors, BurstOutcome, BurstRawRun, BurstReport, DlqFinding, QueueSample, ReceivedRecord, SentRecord } from "./types.js";
import { abortableDelay } from "../../shared/delay.js";

/**
 * The burst's run loop: open connections at the API's allowed rate, send on an open-model
 * schedule, tie every result to its message, poll the queue's depth, and stop when every written
 * message is answered, the timeout passes or the caller aborts. It emits typed events and returns
 * raw records turned into a report by the pure stats module; it knows nothing of terminals.
 */

export interface LiveSnapshot {
  at: number;
  planned: number;
  sent: number;
  answered: number;
  results: number;
  errors: number;
  /** The latest queue sample, or null before the first (or without a queue URL). */
  queue: QueueSample | null;
  /** Messages per second over about the last second. */
  sendRate: number;
  receiveRate: number;
  sendingDone: boolean;
  /** The consumer's side, as far as the results and the queues tell. */
  consumer: {
    /** Distinct execution environments that answered within the last second (each runs one batch at a time); null when the results do not say. */
    busyEnvironments: number | null;
    /** Results that came from a retry (receive count above 1). */
    retried: number;
    /** Messages moved to the DLQ since the burst started (its depth now minus at the start); null when it is not watched. */
    movedToDlq: number | null;
  };
}

export type BurstEvent =
  | { type: "connecting"; opened: number; failed: number; total: number }
  | { type: "connected"; connections: number; failed: number; connectMs: number }
  | { type: "tick"; snapshot: LiveSnapshot }
  | { type: "sending-done"; at: number; sent: number }
  | { type: "warning"; message: string }
  | { type: "inspecting-dlq"; lost: number }
  | { type: "finished"; outcome: BurstOutcome; snapshot: LiveSnapshot };

export interface DeadLetterInspector {
  inspect(lostIds: ReadonlySet<string>): Promise<DlqFinding>;
}

export interface RunBurstOptions {
  url: string;
  plan: BurstPlan;
  config: BurstConfig;
  probe?: QueueProbe;
  /** The dead-letter queue's depth, read with each poll of the queue (messages moved there while the burst runs). */
  dlqProbe?: QueueProbe;
  deadLetters?: DeadLetterInspector;
  /** Aborting stops sending and waiting; the report still covers what happened. */
  signal?: AbortSignal;
  onEvent?: (event: BurstEvent) => void;
  headers?: Record<string, string>;
  connectTimeoutMs?: number;
}

/**
 * ws queues frames in user space when the socket cannot take more; past this many buffered bytes
 * on one connection, `--rate max` waits for the connection's writes to complete before adding more,
 * so "as fast as the sockets accept" means what the network accepts, not what memory holds.
 */
const HIGH_WATER_BYTES = 1024 * 1024;
/** With --rate max, hand the event loop back this often so results are timestamped when they arrive. */
const SEND_SLICE = 64;
/** How long to wait for close handshakes at the end before dropping the sockets. */
const CLOSE_GRACE_MS = 1000;
/**
 * With the queue watched, a burst whose queue has read empty for this long after sending ended,
 * with no result arriving meanwhile, ends without waiting for --timeout (outcome "queue-empty"):
 * what is still unanswered is not coming. At least 3 s or 8 polls, whichever is longer, so a result
 * on its way back through @connections is not cut off, and one odd approximate reading cannot end it.
 */
const MIN_SETTLE_MS = 3000;
const SETTLE_POLLS = 8;
/** Poll errors kept in the report; a dead endpoint otherwise fills it at 4 per second. */
const MAX_KEPT_POLL_ERRORS = 20;
/** An environment that answered within this window counts as busy in the live view. */
const BUSY_WINDOW_MS = 1000;

interface Connection {
  index: number;
  socket: WebSocket | null;
  open: boolean;
  /** Frames handed to ws whose write callback has not fired yet. */
  pendingWrites: number;
  /** Waiting for pendingWrites to reach 0 (back-pressure and the end of sending). */
  flushWaiters: (() => void)[];
}

/**
 * Frames are built before the clock starts when they fit this budget; past it (a huge --count
 * times --size), each is built when sent, which costs a little client delay but no memory.
 */
const PREBUILT_FRAME_BUDGET_BYTES = 64 * 1024 * 1024;

function flushed(connection: Connection): Promise<void> {
  if (connection.pendingWrites === 0) return Promise.resolve();
  return new Promise((resolve) => connection.flushWaiters.push(resolve));
}

export async function runBurst(options: RunBurstOptions): Promise<BurstReport> {
  return computeReport(await runBurstRaw(options));
}

export async function runBurstRaw(options: RunBurstOptions): Promise<BurstRawRun> {
  const { plan, config } = options;
  const emit = (event: BurstEvent) => options.onEvent?.(event);
  let origin = performance.now();
  const now = () => performance.now() - origin;
  const errors: BurstErrors = { connectFailures: [], throttled: 0, errorFrames: [], closes: [], sendErrors: 0, otherFrames: 0, queuePollErrors: [] };
  const received: ReceivedRecord[] = [];
  const samples: QueueSample[] = [];
  const answered = new Set<string>();
  let retried = 0;
  /** Whether any result said where it was processed (the built-in handler's do). */
  let consumerReported = false;
  let pendingWrites = 0;
  let written = 0;
  /** Written messages that have been answered: kept incrementally, a result may beat its own write callback. */
  let answeredWritten = 0;
  const indexById = new Map(plan.messages.map((m) => [m.id, m.index]));
  let sendingDone = false;
  let finished = false;
  let wake: () => void = () => {};
  const check = () => wake();

  const sent: SentRecord[] = plan.messages.map((m) => ({
    id: m.id,
    group: m.group,
    seq: m.seq,
    connection: m.connection,
    dueAt: m.dueMs,
    sendCalledAt: null,
    writtenAt: null,
    sendError: null,
  }));

  const estimatedBytes = plan.messages.length * Math.max(config.size, 200);
  const templates = estimatedBytes <= PREBUILT_FRAME_BUDGET_BYTES ? plan.messages.map((m) => frameTemplate(m, config.size)) : undefined;

  // 1. Connections, no faster than API Gateway accepts new ones.
  const connections: Connection[] = Array.from({ length: plan.activeConnections }, (_, index) => ({
    index,
    socket: null,
    open: false,
    pendingWrites: 0,
    flushWaiters: [],
  }));
  let opened = 0;
  const connectStarted = performance.now();
  await Promise.all(
    connections.map(async (connection) => {
      const delay = connectionOpenDelayMs(connection.index) - (performance.now() - connectStarted);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (options.signal?.aborted) return;
      try {
        connection.socket = await openWebSocket(options.url, { headers: options.headers ?? {}, connectTimeoutMs: options.connectTimeoutMs });
        connection.open = true;
        opened += 1;
      } catch (error) {
        const message = describeError(error);
        if (error instanceof WebSocketRejectedError && error.httpStatus === 429) errors.throttled += 1;
        errors.connectFailures.push({ connection: connection.index, message });
      }
      emit({ type: "connecting", opened, failed: errors.connectFailures.length, total: connections.length });
    }),
  );
  const firstFailure = errors.connectFailures[0];
  if (opened === 0 && firstFailure && !options.signal?.aborted) {
    throw new WsqError("BURST_NO_CONNECTION", `Could not open any of ${connections.length} connection(s): ${firstFailure.message}`, {
      hint: "Check that the stack is deployed (`wsq status`) and the URL is right.",
    });
  }
  const connectMs = performance.now() - connectStarted;
  origin = performance.now();
  const originEpochMs = Date.now();
  emit({ type: "connected", connections: opened, failed: errors.connectFailures.length, connectMs });

  for (const connection of connections) {
    const socket = connection.socket;
    if (!socket) continue;
    socket.on("message", (data, isBinary) => {
      const at = now();
      if (isBinary) {
        errors.otherFrames += 1;
        return;
      }
      const frame = parseIncomingFrame(textOf(data));
      if (frame.kind === "result") {
        received.push({ at, connection: connection.index, result: frame.result });
        if (frame.result.receiveCount > 1) retried += 1;
        if (frame.result.consumer !== undefined) consumerReported = true;
        const id = frame.result.id;
        const index = id === null ? undefined : indexById.get(id);
        if (id !== null && index !== undefined && !answered.has(id)) {
          answered.add(id);
          if (sent[index]?.writtenAt !== null) answeredWritten += 1;
          check();
        }
      } else if (frame.kind === "api-error") {
        if (apiErrorKind(frame.error.message) === "stage-throttle") errors.throttled += 1;
        errors.errorFrames.push({ connection: connection.index, at, message: frame.error.message, members: Object.keys(frame.error).sort() });
        check();
      } else {
        errors.otherFrames += 1;
      }
    });
    socket.on("close", (code, reason) => {
      connection.open = false;
      if (!finished) {
        const meaning = describeCloseCode(code);
        errors.closes.push({ connection: connection.index, at: now(), code, reason: reason.toString(), meaning });
        emit({
          type: "warning",
          message: `connection #${connection.index} closed by the server: ${code} (${meaning})${reason.length > 0 ? `: ${reason.toString()}` : ""}`,
        });
        check();
      }
    });
    // An 'error' is always followed by 'close', which is where it is counted.
    socket.on("error", () => {});
  }

  // 2. Queue depth, polled on its own cadence; one request at a time, never overlapping.
  const settleMs = Math.max(MIN_SETTLE_MS, SETTLE_POLLS * config.pollIntervalMs);
  let pollTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();
  // Since when the queue has read empty (visible, in flight and delayed all 0), without a break.
  let emptySince: number | null = null;
  let queueSettled = false;
  const poll = async () => {
    if (!options.probe) return;
    try {
      const [depth, dlq] = await Promise.all([options.probe.depth(), options.dlqProbe?.depth().catch(() => undefined)]);
      const at = now();
      samples.push({ at, ...depth, ...(dlq !== undefined ? { dlq: dlq.visible + dlq.inFlight } : {}) });
      const empty = depth.visible + depth.inFlight + depth.delayed === 0;
      emptySince = empty ? (emptySince ?? at) : null;
      // Nothing left to process and nothing arriving: the rest is lost (in the DLQ, or dropped), so
      // waiting for --timeout would only delay the report. Judged only after sending ended, over a
      // quiet window long enough for results already being posted back to land.
      const lastResultAt = received.length > 0 ? (received[received.length - 1] as ReceivedRecord).at : 0;
      if (sendingDone && emptySince !== null && at - Math.max(emptySince, lastResultAt) >= settleMs) {
        queueSettled = true;
        check();
      }
    } catch (error) {
      if (errors.queuePollErrors.length < MAX_KEPT_POLL_ERRORS) errors.queuePollErrors.push({ at: now(), message: describeError(error) });
    }
  };
  const schedulePoll = () => {
    if (finished || !options.probe) return;
    pollTimer = setTimeout(() => {
      polling = poll().then(schedulePoll);
    }, config.pollIntervalMs);
  };
  if (options.probe) {
    polling = poll().then(schedulePoll);
  }

  // 3. Live ticks, for whoever renders.
  const history: { at: number; sent: number; answered: number }[] = [{ at: 0, sent: 0, answered: 0 }];
  const busyEnvironments = (at: number): number | null => {
    if (!consumerReported) return null;
    const seen = new Set<string>();
    for (let i = received.length - 1; i >= 0; i--) {
      const record = received[i] as ReceivedRecord;
      if (record.at < at - BUSY_WINDOW_MS) break;
      const environment = record.result.consumer?.environment;
      if (environment !== undefined) seen.add(environment);
    }
    return seen.size;
  };
  const movedToDlq = (): number | null => {
    const first = samples.find((q) => q.dlq !== undefined)?.dlq;
    const last = [...samples].reverse().find((q) => q.dlq !== undefined)?.dlq;
    return first === undefined || last === undefined ? null : Math.max(0, last - first);
  };
  const snapshot = (): LiveSnapshot => {
    const at = now();
    history.push({ at, sent: written, answered: answered.size });
    while (history.length > 2 && (history[1] as { at: number }).at <= at - 1000) history.shift();
    const oldest = history[0] as { at: number; sent: number; answered: number };
    const span = (at - oldest.at) / 1000;
    return {
      at,
      planned: plan.messages.length,
      sent: written,
      answered: answered.size,
      results: received.length,
      errors: errors.connectFailures.length + errors.errorFrames.length + errors.closes.length + errors.sendErrors,
      queue: samples[samples.length - 1] ?? null,
      sendRate: span > 0 ? Math.round((written - oldest.sent) / span) : 0,
      receiveRate: span > 0 ? Math.round((answered.size - oldest.answered) / span) : 0,
      sendingDone,
      consumer: { busyEnvironments: busyEnvironments(at), retried, movedToDlq: movedToDlq() },
    };
  };
  const tickTimer = setInterval(() => emit({ type: "tick", snapshot: snapshot() }), config.pollIntervalMs);

  // 4. Sending, on the plan's schedule.
  const stopRequested = () => options.signal?.aborted === true || finished;
  const sendOne = (message: PlannedMessage) => {
    const record = sent[message.index] as SentRecord;
    const connection = connections[message.connection] as Connection;
    const socket = connection.socket;
    if (!socket || !connection.open) {
      record.sendError = "connection not open";
      errors.sendErrors += 1;
      return;
    }
    const calledAt = now();
    record.sendCalledAt = calledAt;
    pendingWrites += 1;
    connection.pendingWrites += 1;
    const sentAt = Math.round(originEpochMs + calledAt);
    const template = templates?.[message.index];
    const frame = template ? stampFrame(template, sentAt) : buildFrame(message, config.size, sentAt);
    socket.send(frame, (error) => {
      pendingWrites -= 1;
      connection.pendingWrites -= 1;
      if (error) {
        record.sendError = error.message;
        errors.sendErrors += 1;
      } else {
        record.writtenAt = now();
        written += 1;
        if (answered.has(record.id)) answeredWritten += 1;
      }
      if (connection.pendingWrites === 0) for (const wakeUp of connection.flushWaiters.splice(0)) wakeUp();
      check();
    });
  };

  const sending = (async () => {
    const fixed = plan.options.rate.kind === "fixed";
    let sinceYield = 0;
    for (const message of plan.messages) {
      if (stopRequested()) break;
      if (fixed) {
        // One timer at a time, to the next due message; everything already due goes out at once.
        // Never early: a message sent before its due time would flatter its latency.
        let wait = message.dueMs - now();
        while (wait > 0 && !stopRequested()) {
          await abortableDelay(wait, options.signal);
          wait = message.dueMs - now();
        }
        if (stopRequested()) break;
      } else if (++sinceYield >= SEND_SLICE) {
        sinceYield = 0;
        await yieldToEventLoop();
        if (stopRequested()) break;
      }
      const socket = connections[message.connection]?.socket;
      if (socket && socket.bufferedAmount > HIGH_WATER_BYTES) await flushed(connections[message.connection] as Connection);
      sendOne(message);
    }
    await Promise.all(connections.map(flushed));
    sendingDone = true;
    emit({ type: "sending-done", at: now(), sent: written });
    check();
  })();

  // 5. Wait for every written message to be answered, the timeout, an abort, or no open connection.
  const outcome = await new Promise<BurstOutcome>((resolve) => {
    const timeout = setTimeout(() => resolve("timeout"), config.timeoutMs);
    const onAbort = () => resolve("interrupted");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    wake = () => {
      // Every written message answered, or refused with an error frame (throttled): nothing more is coming.
      const everyAnswered = sendingDone && pendingWrites === 0 && answeredWritten + errors.errorFrames.length >= written;
      const noneOpen = connections.every((c) => !c.open);
      const allClosedEarly = noneOpen && errors.closes.length > 0 && (sendingDone || written === 0);
      if (everyAnswered || allClosedEarly || queueSettled) {
        clearTimeout(timeout);
        options.signal?.removeEventListener("abort", onAbort);
        resolve(allClosedEarly ? "connections-lost" : everyAnswered ? "complete" : "queue-empty");
      }
    };
    if (options.signal?.aborted) onAbort();
    check();
  });
  finished = true;
  const endedAt = now();
  clearInterval(tickTimer);
  clearTimeout(pollTimer);
  await sending;
  await polling;
  // One last look at the queue: the figure a user checks "did it drain?" against.
  if (options.probe && outcome !== "interrupted") await poll();
  emit({ type: "finished", outcome, snapshot: snapshot() });

  let dlq: DlqFinding | null = null;
  if (options.deadLetters && outcome !== "interrupted") {
    const lost = new Set(sent.filter((s) => s.writtenAt !== null && !answered.has(s.id)).map((s) => s.id));
    if (lost.size > 0) emit({ type: "inspecting-dlq", lost: lost.size });
    dlq = await options.deadLetters.inspect(lost);
  }
  await closeAll(connections);

  const writtenTimes = sent.flatMap((s) => (s.writtenAt === null ? [] : [s.writtenAt]));
  return {
    config,
    startedAtEpochMs: originEpochMs,
    connectMs,
    endedAt,
    sendEndedAt: writtenTimes.length > 0 ? lastOf(writtenTimes) : null,
    outcome,
    sent,
    received,
    samples,
    errors,
    dlq,
  };
}

function lastOf(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  return max;
}

async function closeAll(connections: readonly Connection[]): Promise<void> {
  await Promise.all(
    connections.map(
      (connection) =>
        new Promise<void>((resolve) => {
          const socket = connection.socket;
          if (!socket || socket.readyState === socket.CLOSED) return resolve();
          const timer = setTimeout(() => {
            socket.terminate();
            resolve();
          }, CLOSE_GRACE_MS);
          socket.once("close", () => {
            clearTimeout(timer);
            resolve();
          });
          socket.close(1000, "burst done");
        }),
    ),
  );
}

function textOf(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}
