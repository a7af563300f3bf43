import { buildMessage, type ConsumerDirectives } from "../../shared/pattern-messages.js";
import { directivesFor, selectFailures, type ConsumerFlags } from "./consumer.js";

/**
 * The burst's plan, decided before the first byte is sent: which message goes to which group,
 * which connection carries it, and when it is due. Pure, so that the schedule (and therefore the
 * coordinated-omission-free latency measured against it) can be tested without a network.
 */

/**
 * API Gateway closes a connection with 1009 when a frame exceeds 32 KB
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html#apigateway-execution-service-websocket-limits-table).
 * `wsq burst` sends each message as one frame, so this bounds --size.
 */
export const MAX_FRAME_BYTES = 32 * 1024;

/**
 * API Gateway accepts 500 new WebSocket connections per second per account and Region (same
 * quota page); going faster gets HTTP 429 on the upgrade. Connections are opened no faster.
 */
export const MAX_NEW_CONNECTIONS_PER_SECOND = 500;

/** FIFO MessageGroupId is at most 128 characters (SQS SendMessage API reference). */
export const MAX_GROUP_ID_LENGTH = 128;

export type Rate = { kind: "max" } | { kind: "fixed"; perSecond: number };

export interface BurstPlanOptions {
  count: number;
  connections: number;
  groups: number;
  rate: Rate;
  /** Target size in bytes of each frame; messages are padded up to it. */
  size: number;
  /** Short id unique to this run, so that ids and groups never collide with other runs. */
  runId: string;
  /** Consumer directives to carry (--work-ms, --fail-rate, --fail-once-rate, --seed); none without. */
  consumer?: ConsumerFlags;
}

export interface PlannedMessage {
  index: number;
  id: string;
  group: string;
  groupIndex: number;
  /** 1-based position within the group: the order the group's results must come back in. */
  seq: number;
  /** Index of the connection that sends it (and must receive its result). */
  connection: number;
  /**
   * When the message is due, in ms after sending starts. With a fixed rate, message i is due at
   * i / rate; with `max`, the whole burst is due at once (0), so that latency counts the time the
   * client itself needed to put the burst on the wire instead of hiding it (no coordinated omission).
   */
  dueMs: number;
  /** What the message asks of the consumer (its frame's `wsq` member), if anything. */
  directives?: ConsumerDirectives;
}

export interface BurstPlan {
  options: BurstPlanOptions;
  messages: PlannedMessage[];
  groupNames: string[];
  /** How many connections carry messages: a group is bound to one connection (see planBurst). */
  activeConnections: number;
}

export function groupName(runId: string, groupIndex: number): string {
  return `burst-${runId}-g${groupIndex}`;
}

export function messageId(runId: string, index: number): string {
  return `${runId}-${index}`;
}

/**
 * Message i belongs to group i mod G, and group g is sent, always, by connection g mod C. Binding a
 * group to one connection is what makes its order well defined: frames on one TCP stream reach API
 * Gateway in the order sent, while frames on two connections race, so an order check across
 * connections would blame the queue for the client's own race.
 */
export function planBurst(options: BurstPlanOptions): BurstPlan {
  const groupNames = Array.from({ length: options.groups }, (_, g) => groupName(options.runId, g));
  const nextSeq = new Array<number>(options.groups).fill(0);
  const intervalMs = options.rate.kind === "fixed" ? 1000 / options.rate.perSecond : 0;
  const messages: PlannedMessage[] = [];
  const consumer = options.consumer;
  const selection = consumer ? selectFailures(options.count, consumer) : undefined;
  for (let index = 0; index < options.count; index++) {
    const directives = consumer && selection ? directivesFor(index, consumer, selection) : undefined;
    const groupIndex = index % options.groups;
    const seq = (nextSeq[groupIndex] ?? 0) + 1;
    nextSeq[groupIndex] = seq;
    messages.push({
      index,
      id: messageId(options.runId, index),
      group: groupNames[groupIndex] as string,
      groupIndex,
      seq,
      connection: groupIndex % options.connections,
      dueMs: index * intervalMs,
      ...(directives !== undefined ? { directives } : {}),
    });
  }
  return { options, messages, groupNames, activeConnections: Math.min(options.connections, options.groups, Math.max(options.count, 1)) };
}

/**
 * The frame for a message, padded with filler in `data` so that the frame is `size` bytes (or its
 * natural size, when that is already larger). Padding is ASCII so characters equal bytes.
 */
export function buildFrame(message: PlannedMessage, size: number, sentAt: number): string {
  const fields = { id: message.id, group: message.group, seq: message.seq, sentAt, ...(message.directives ? { directives: message.directives } : {}) };
  const bare = buildMessage({ ...fields, data: "" });
  const missing = size - Buffer.byteLength(bare);
  if (missing <= 0) return bare;
  return buildMessage({ ...fields, data: "x".repeat(missing) });
}

/** A 13-digit stand-in for sentAt: epoch ms has 13 digits until the year 2286, so lengths match. */
const SENT_AT_STANDIN = 1_000_000_000_000;
const SENT_AT_KEY = '"sentAt":';

/**
 * The frame split around its sentAt value, so that it can be built before the clock starts and
 * stamped with the real send time by concatenation. JSON work then stays out of the measured
 * window, and the frame is still exactly what buildFrame (and so buildMessage) makes.
 */
export interface FrameTemplate {
  before: string;
  after: string;
}

export function frameTemplate(message: PlannedMessage, size: number): FrameTemplate {
  const frame = buildFrame(message, size, SENT_AT_STANDIN);
  const marker = `${SENT_AT_KEY}${SENT_AT_STANDIN}`;
  const at = frame.indexOf(marker);
  return { before: frame.slice(0, at + SENT_AT_KEY.length), after: frame.slice(at + marker.length) };
}

export function stampFrame(template: FrameTemplate, sentAt: number): string {
  return `${template.before}${sentAt}${template.after}`;
}

/** Parse `--rate`: a positive number of messages per second, or `max`. Returns undefined when invalid. */
export function parseRate(raw: string): Rate | undefined {
  if (raw.trim().toLowerCase() === "max") return { kind: "max" };
  const perSecond = Number(raw);
  if (!Number.isFinite(perSecond) || perSecond <= 0) return undefined;
  return { kind: "fixed", perSecond };
}

/** Delay before opening connection k, so that openings never exceed the API's rate of new connections. */
export function connectionOpenDelayMs(k: number, perSecond = MAX_NEW_CONNECTIONS_PER_SECOND): number {
  return (k * 1000) / perSecond;
}
