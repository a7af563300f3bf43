import * as hdr from "hdr-histogram-js";
import { apiErrorKind, compareSequenceNumbers, isSequenceNumber, type ApiErrorKind } from "../../shared/pattern-messages.js";
import type {
  BurstConsumerConfig,
  BurstRawRun,
  BurstReport,
  ConnectionClose,
  ConsumerFigures,
  HistogramBin,
  LatencyStats,
  QueueSample,
  ReceivedRecord,
  SentRecord,
  TimelinePoint,
  Verification,
} from "./types.js";

/**
 * Pure statistics over a burst's records: no sockets, no clock, no terminal. Everything the table,
 * the live view, the HTML page and --json show is computed here, once.
 */

/** HDR histograms hold integers; latencies are recorded in microseconds so that sub-ms figures survive. */
const MICROS_PER_MS = 1000;
/** One hour, in µs: anything slower is clamped (a burst's --timeout is far below it). */
const HIGHEST_TRACKABLE_MICROS = 3_600_000_000;
/** Three significant digits: 0.1% value error, which is finer than the timer's own jitter. */
const SIGNIFICANT_DIGITS = 3;

/** Percentiles over latency samples (ms) through an HDR histogram, the same structure autocannon uses. */
export function latencyStats(samplesMs: readonly number[]): LatencyStats {
  if (samplesMs.length === 0) return { count: 0, min: null, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_MICROS,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
  try {
    for (const ms of samplesMs) {
      histogram.recordValue(Math.min(HIGHEST_TRACKABLE_MICROS, Math.max(0, Math.round(ms * MICROS_PER_MS))));
    }
    const max = roundMs(maxOf(samplesMs));
    // A percentile is reported as its bucket's upper edge, which can exceed the true maximum.
    const at = (p: number) => Math.min(max, roundMs(histogram.getValueAtPercentile(p) / MICROS_PER_MS));
    return {
      count: samplesMs.length,
      // Min and max are known exactly; the histogram would round them to a bucket.
      min: roundMs(minOf(samplesMs)),
      mean: roundMs(histogram.mean / MICROS_PER_MS),
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max,
    };
  } finally {
    histogram.destroy();
  }
}

// Loops, not Math.min(...values): spreading 100,000 arguments overflows the stack.
function minOf(values: readonly number[]): number {
  let min = Infinity;
  for (const v of values) if (v < min) min = v;
  return Math.max(0, min);
}

function maxOf(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  return Math.max(0, max);
}

export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * Log-spaced bins (4 per power of ten) covering the samples: latency spans orders of magnitude
 * (a warm loopback round trip vs a message that waited out a retry), which linear bins flatten.
 */
export function latencyHistogram(samplesMs: readonly number[]): HistogramBin[] {
  if (samplesMs.length === 0) return [];
  const perDecade = 4;
  const floor = 0.1;
  const edge = (k: number) => floor * Math.pow(10, k / perDecade);
  const binOf = (ms: number) => (ms <= floor ? 0 : Math.floor(Math.log10(ms / floor) * perDecade));
  const counts = new Map<number, number>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const ms of samplesMs) {
    const k = binOf(ms);
    counts.set(k, (counts.get(k) ?? 0) + 1);
    lo = Math.min(lo, k);
    hi = Math.max(hi, k);
  }
  const bins: HistogramBin[] = [];
  for (let k = lo; k <= hi; k++) bins.push({ from: roundMs(k === 0 ? 0 : edge(k)), to: roundMs(edge(k + 1)), count: counts.get(k) ?? 0 });
  return bins;
}

/** The first result for each id, in arrival order, plus how many arrived per id. */
function firstResults(received: readonly ReceivedRecord[]): { first: Map<string, ReceivedRecord>; countById: Map<string, number> } {
  const first = new Map<string, ReceivedRecord>();
  const countById = new Map<string, number>();
  for (const record of received) {
    const id = record.result.id;
    if (id === null) continue;
    countById.set(id, (countById.get(id) ?? 0) + 1);
    if (!first.has(id)) first.set(id, record);
  }
  return { first, countById };
}

/** The first time each error frame kind can be blamed on a message; see attributeErrorFrames. */
export interface ErrorFrameRecord {
  connection: number;
  at: number;
  message: string;
}

/**
 * Ties API Gateway's error frames to the messages they answer. An error frame names API Gateway's
 * request id, which the client never learns for a frame that was not queued, so the tie is made by
 * connection and time: frames of one connection, in arrival order, each to the earliest unanswered
 * message of that connection handed to the socket before the frame arrived. The counts are exact;
 * the ids are exact whenever every unanswered message of a connection got an error frame (when
 * some did not, which of them did is a best guess). Returns the kind of error each tied id got.
 */
export function attributeErrorFrames(unanswered: readonly SentRecord[], frames: readonly ErrorFrameRecord[]): Map<string, ApiErrorKind> {
  const tied = new Map<string, ApiErrorKind>();
  const byConnection = new Map<number, SentRecord[]>();
  for (const s of unanswered) byConnection.set(s.connection, [...(byConnection.get(s.connection) ?? []), s]);
  for (const list of byConnection.values()) list.sort((a, b) => sentTime(a) - sentTime(b));
  for (const frame of [...frames].sort((a, b) => a.at - b.at)) {
    const candidates = byConnection.get(frame.connection);
    if (!candidates) continue;
    const index = candidates.findIndex((s) => sentTime(s) <= frame.at);
    if (index === -1) continue;
    const [message] = candidates.splice(index, 1);
    tied.set((message as SentRecord).id, apiErrorKind(frame.message));
  }
  return tied;
}

function sentTime(s: SentRecord): number {
  return s.sendCalledAt ?? s.writtenAt ?? s.dueAt;
}

export interface VerifyOptions {
  /** API Gateway's error frames, to tell throttled and refused messages from lost ones. */
  errorFrames?: readonly ErrorFrameRecord[];
  /** Messages that reach the queue out of send order fail the run (--strict-send-order). */
  strictSendOrder?: boolean;
  /** The messages directed to fail on every delivery and on the first only (ids): their dead letters and retries are expected. */
  failAlways?: readonly string[];
  failOnce?: readonly string[];
  /** The DLQ inspection could not see every message (a FIFO DLQ shows 10 of a group at a time). */
  dlqPartial?: boolean;
}

/** What one ReceiveMessage shows of a FIFO group (SQS API reference: at most 10 messages per call). */
const DLQ_PAGE = 10;

/**
 * Exactly once, in the queue's order, to the right connection. Duplicates are later copies of an
 * id already answered. An order violation is a first answer whose SQS sequence number is below one
 * already received for its group on the same connection: FIFO processes a group in sequence-number
 * order and the handler posts a group's results one after another, so on one connection they
 * arrive in that order. Separately, as information, messages that reached the queue after a later
 * message of their group (send order vs sequence numbers). A message answered by an error frame
 * was throttled or refused, not lost; a lost message was written and got neither.
 */
export function verify(
  sent: readonly SentRecord[],
  received: readonly ReceivedRecord[],
  dlqIds: ReadonlySet<string> = new Set(),
  closes: readonly ConnectionClose[] = [],
  options: VerifyOptions = {},
): Verification {
  const sentById = new Map(sent.map((s) => [s.id, s]));
  const { first, countById } = firstResults(received);
  // Failed writes (the connection was gone); messages never attempted because the run was
  // interrupted are neither sent nor failed.
  const notSent = sent.filter((s) => s.sendError !== null).map((s) => s.id);
  const written = sent.filter((s) => s.writtenAt !== null);
  const unanswered = written.filter((s) => !first.has(s.id));
  const tied = attributeErrorFrames(unanswered, options.errorFrames ?? []);
  const throttled: Verification["throttled"] = { queue: [], stage: [] };
  const refused: string[] = [];
  for (const s of unanswered) {
    const kind = tied.get(s.id);
    if (kind === "integration-failure") throttled.queue.push(s.id);
    else if (kind === "stage-throttle") throttled.stage.push(s.id);
    else if (kind !== undefined) refused.push(s.id);
  }
  // Found in the dead-letter queue: dead-lettered, not lost. A FIFO DLQ shows at most one page (10)
  // of a group to an inspection, so when a group filled its page and the inspection could not see
  // everything, its other unanswered messages are taken as there too (hidden behind that page).
  const pageFull = new Set<string>();
  if (options.dlqPartial === true) {
    const foundPerGroup = new Map<string, number>();
    for (const id of dlqIds) {
      const group = sentById.get(id)?.group;
      if (group !== undefined) foundPerGroup.set(group, (foundPerGroup.get(group) ?? 0) + 1);
    }
    for (const [group, n] of foundPerGroup) if (n >= DLQ_PAGE) pageFull.add(group);
  }
  const untied = unanswered.filter((s) => !tied.has(s.id));
  const deadLettered = untied.filter((s) => dlqIds.has(s.id)).map((s) => s.id);
  const dlqHidden = untied.filter((s) => !dlqIds.has(s.id) && pageFull.has(s.group)).map((s) => s.id);
  const lost = untied.filter((s) => !dlqIds.has(s.id) && !pageFull.has(s.group)).map((s) => s.id);
  const failAlways = new Set(options.failAlways ?? []);
  const failOnce = new Set(options.failOnce ?? []);
  // A message of a group with a fail-always message may share its batches, and so its fate: Lambda
  // hands the rest of a FIFO group's batch back with a failure, so it reaches maxReceiveCount with it.
  // (Which messages follow it is the queue's order, which frames sent together need not keep.)
  const failingGroups = new Set(sent.filter((s) => failAlways.has(s.id)).map((s) => s.group));
  const deadLetteredUnexpected = [...deadLettered, ...dlqHidden].filter((id) => !failAlways.has(id) && !failingGroups.has(sentById.get(id)?.group ?? ""));
  const directedButAnswered = [...failAlways].filter((id) => first.has(id));
  const closedConnections = new Set(closes.map((c) => c.connection));
  const lostOnClosed = lost.filter((id) => closedConnections.has(sentById.get(id)?.connection ?? -1));
  const duplicated = [...countById].filter(([id, n]) => n > 1 && sentById.has(id)).map(([id, count]) => ({ id, count }));

  const unexpected = received
    .filter((r) => r.result.id === null || !sentById.has(r.result.id))
    .map((r) => ({ id: r.result.id, messageId: r.result.messageId }));

  const orderViolations: Verification["orderViolations"] = [];
  /** Highest sequence number received per group and arrival connection. */
  const highest = new Map<string, { sequenceNumber: string; id: string; seq: number }>();
  /** First results with a sequence number, per group, for the send-order comparison. */
  const queuedByGroup = new Map<string, { sequenceNumber: string; id: string; seq: number }[]>();
  const misrouted: Verification["misrouted"] = [];
  const idsByConnection = new Map<number, Set<string>>();
  let retried = 0;
  let retriedDirected = 0;
  let unsequenced = 0;
  for (const record of received) {
    const id = record.result.id;
    const mine = id === null ? undefined : sentById.get(id);
    if (!mine) continue;
    if (record.result.receiveCount > 1) {
      retried += 1;
      if (failOnce.has(mine.id)) retriedDirected += 1;
    }
    if (first.get(mine.id) !== record) continue; // a duplicate: counted above, not an order question
    // The connectionId the API stamped on the message names the connection that sent it.
    const ids = idsByConnection.get(mine.connection) ?? new Set<string>();
    ids.add(record.result.connectionId);
    idsByConnection.set(mine.connection, ids);
    const sequenceNumber = record.result.sequenceNumber;
    if (!isSequenceNumber(sequenceNumber)) {
      unsequenced += 1;
    } else {
      const queued = queuedByGroup.get(mine.group) ?? [];
      queued.push({ sequenceNumber, id: mine.id, seq: mine.seq });
      queuedByGroup.set(mine.group, queued);
    }
    if (record.connection !== mine.connection) {
      // A result on another connection is reported as misrouted; it races the group's other
      // results over another TCP stream, so it is left out of the arrival order check.
      misrouted.push({ id: mine.id, sentOn: mine.connection, arrivedOn: record.connection });
      continue;
    }
    if (!isSequenceNumber(sequenceNumber)) continue;
    const key = `${mine.group}\u0000${record.connection}`;
    const top = highest.get(key);
    if (top && compareSequenceNumbers(sequenceNumber, top.sequenceNumber) < 0) {
      orderViolations.push({
        group: mine.group,
        id: mine.id,
        seq: mine.seq,
        sequenceNumber,
        afterId: top.id,
        afterSeq: top.seq,
        afterSequenceNumber: top.sequenceNumber,
      });
    } else {
      highest.set(key, { sequenceNumber, id: mine.id, seq: mine.seq });
    }
  }
  const sendOrderReorderings: Verification["sendOrderReorderings"] = [];
  for (const [group, queued] of queuedByGroup) {
    queued.sort((a, b) => compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber));
    let latest: { id: string; seq: number } | undefined;
    for (const message of queued) {
      if (latest && message.seq < latest.seq) sendOrderReorderings.push({ group, id: message.id, seq: message.seq, afterId: latest.id, afterSeq: latest.seq });
      else latest = message;
    }
  }
  const connectionIdConflicts: Verification["connectionIdConflicts"] = [];
  const ownerOf = new Map<string, number>();
  for (const [connection, ids] of [...idsByConnection].sort((a, b) => a[0] - b[0])) {
    const shared = [...ids].some((cid) => ownerOf.has(cid) && ownerOf.get(cid) !== connection);
    if (ids.size > 1 || shared) connectionIdConflicts.push({ connection, connectionIds: [...ids] });
    for (const cid of ids) if (!ownerOf.has(cid)) ownerOf.set(cid, connection);
  }
  const strictSendOrder = options.strictSendOrder === true;
  const ok =
    lost.length === 0 &&
    deadLetteredUnexpected.length === 0 &&
    notSent.length === 0 &&
    duplicated.length === 0 &&
    orderViolations.length === 0 &&
    misrouted.length === 0 &&
    connectionIdConflicts.length === 0 &&
    throttled.queue.length + throttled.stage.length + refused.length === 0 &&
    (!strictSendOrder || sendOrderReorderings.length === 0);
  return {
    ok,
    lost,
    lostInDlq: deadLettered,
    deadLettered,
    dlqHidden,
    deadLetteredUnexpected,
    directedButAnswered,
    lostOnClosed,
    duplicated,
    orderViolations,
    sendOrderReorderings,
    strictSendOrder,
    throttled,
    refused,
    unsequenced,
    misrouted,
    connectionIdConflicts,
    unexpected,
    notSent,
    retried,
    retriedDirected,
  };
}

/** Count of values ≤ t in an ascending array (binary search). */
function countUpTo(sortedTimes: readonly number[], t: number): number {
  let lo = 0;
  let hi = sortedTimes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sortedTimes[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Cumulative and per-second counts in fixed bins over the run. The bin is at least 100 ms and
 * at most 1/120 of the run, so a chart has enough points without drowning in noise.
 */
export function timeline(writeTimes: readonly number[], resultTimes: readonly number[], endAt: number): TimelinePoint[] {
  const writes = [...writeTimes].sort((a, b) => a - b);
  const results = [...resultTimes].sort((a, b) => a - b);
  const span = Math.max(endAt, 1);
  const bin = Math.max(100, span / 120);
  const points: TimelinePoint[] = [];
  let previousSent = 0;
  let previousReceived = 0;
  for (let at = bin; ; at += bin) {
    const t = Math.min(at, span);
    const sent = countUpTo(writes, t);
    const received = countUpTo(results, t);
    const width = (t - (at - bin)) / 1000;
    points.push({
      at: roundMs(t),
      sent,
      received,
      sendRate: width > 0 ? Math.round((sent - previousSent) / width) : 0,
      receiveRate: width > 0 ? Math.round((received - previousReceived) / width) : 0,
      clientInFlight: sent - received,
    });
    previousSent = sent;
    previousReceived = received;
    if (t >= span) break;
  }
  return points;
}

/** Events per second between the first and the last event; null when that span is empty. */
export function ratePerSecond(times: readonly number[]): number | null {
  if (times.length < 2) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of times) {
    lo = Math.min(lo, t);
    hi = Math.max(hi, t);
  }
  if (hi <= lo) return null;
  return Math.round(((times.length - 1) / (hi - lo)) * 1000 * 10) / 10;
}

export function queueFigures(samples: readonly QueueSample[], sendEndedAt: number | null): Omit<BurstReport["queue"], "drainMs" | "samples" | "polled"> {
  if (samples.length === 0) return { peakDepth: null, peakVisible: null, peakInFlight: null, peakAt: null, queueEmptyAfterSendMs: null };
  let peak = samples[0] as QueueSample;
  let peakVisible = 0;
  let peakInFlight = 0;
  for (const s of samples) {
    if (s.visible + s.inFlight > peak.visible + peak.inFlight) peak = s;
    peakVisible = Math.max(peakVisible, s.visible);
    peakInFlight = Math.max(peakInFlight, s.inFlight);
  }
  const peakDepth = peak.visible + peak.inFlight;
  let queueEmptyAfterSendMs: number | null = null;
  if (sendEndedAt !== null && peakDepth > 0) {
    const empty = samples.find((s) => s.at >= peak.at && s.at >= sendEndedAt && s.visible + s.inFlight + s.delayed === 0);
    if (empty) queueEmptyAfterSendMs = roundMs(empty.at - sendEndedAt);
  }
  return { peakDepth, peakVisible, peakInFlight, peakAt: roundMs(peak.at), queueEmptyAfterSendMs };
}

export function computeReport(raw: BurstRawRun): BurstReport {
  const dlqIds = new Set(raw.dlq?.lostIds ?? []);
  const verification = verify(raw.sent, raw.received, dlqIds, raw.errors.closes, {
    errorFrames: raw.errors.errorFrames,
    strictSendOrder: raw.config.strictSendOrder === true,
    failAlways: raw.config.consumer?.failAlways ?? [],
    failOnce: raw.config.consumer?.failOnce ?? [],
    dlqPartial: raw.dlq?.partial === true,
  });
  const { first } = firstResults(raw.received);
  const sentById = new Map(raw.sent.map((s) => [s.id, s]));

  const endToEnd: number[] = [];
  const fromWrite: number[] = [];
  const clientDelay: number[] = [];
  const queueWait: number[] = [];
  const outsideQueue: number[] = [];
  const resultTimes: number[] = [];
  for (const [id, record] of first) {
    const sent = sentById.get(id);
    if (!sent) continue;
    resultTimes.push(record.at);
    endToEnd.push(record.at - sent.dueAt);
    if (sent.writtenAt !== null) fromWrite.push(record.at - sent.writtenAt);
    const wait = record.result.queueWaitMs;
    if (typeof wait === "number" && Number.isFinite(wait)) {
      queueWait.push(Math.max(0, wait));
      if (sent.writtenAt !== null) outsideQueue.push(Math.max(0, record.at - sent.writtenAt - wait));
    }
  }
  const writeTimes = raw.sent.flatMap((s) => (s.writtenAt === null ? [] : [s.writtenAt]));
  for (const s of raw.sent) if (s.writtenAt !== null) clientDelay.push(Math.max(0, s.writtenAt - s.dueAt));

  const lastResult = resultTimes.length > 0 ? maxOf(resultTimes) : null;
  const lastWrite = writeTimes.length > 0 ? maxOf(writeTimes) : null;
  const firstWrite = writeTimes.length > 0 ? minOf(writeTimes) : null;
  const drainMs = lastResult !== null && lastWrite !== null && verification.lost.length === 0 ? roundMs(Math.max(0, lastResult - lastWrite)) : null;
  const throughput =
    lastResult !== null && firstWrite !== null && lastResult > firstWrite
      ? Math.round((resultTimes.length / (lastResult - firstWrite)) * 1000 * 10) / 10
      : null;

  return {
    version: 1,
    config: raw.config,
    outcome: raw.outcome,
    startedAt: new Date(raw.startedAtEpochMs).toISOString(),
    durationMs: roundMs(raw.endedAt),
    connectMs: roundMs(raw.connectMs),
    counts: {
      planned: raw.config.count,
      sent: writeTimes.length,
      answered: resultTimes.length,
      results: raw.received.length,
      lost: verification.lost.length,
      deadLettered: (verification.deadLettered?.length ?? 0) + (verification.dlqHidden?.length ?? 0),
      duplicated: verification.duplicated.length,
      throttled: verification.throttled.queue.length + verification.throttled.stage.length,
      refused: verification.refused.length,
      reorderedBeforeQueue: verification.sendOrderReorderings.length,
    },
    rates: { sendPerSecond: ratePerSecond(writeTimes), processPerSecond: ratePerSecond(resultTimes), throughputPerSecond: throughput },
    queue: {
      polled: raw.config.queueUrl !== null,
      ...queueFigures(raw.samples, raw.sendEndedAt),
      drainMs,
      samples: raw.samples,
    },
    latency: {
      endToEnd: latencyStats(endToEnd),
      fromWrite: latencyStats(fromWrite),
      clientDelay: latencyStats(clientDelay),
      queueWait: latencyStats(queueWait),
      outsideQueue: latencyStats(outsideQueue),
      histogram: latencyHistogram(endToEnd),
    },
    timeline: timeline(writeTimes, resultTimes, raw.endedAt),
    verification,
    errors: raw.errors,
    dlq: raw.dlq,
    consumer: consumerFigures(raw.config.consumer ?? null, raw.received, raw.samples, firstWrite, lastResult),
  };
}

/**
 * The consumer's side, from the results (the built-in handler says which environment and which
 * invocation processed each message, and when) and from the dead-letter queue's depth samples.
 */
export function consumerFigures(
  config: BurstConsumerConfig | null,
  received: readonly ReceivedRecord[],
  samples: readonly QueueSample[],
  firstWrite: number | null,
  lastResult: number | null,
): ConsumerFigures {
  const dlqSamples = samples.filter((q): q is QueueSample & { dlq: number } => q.dlq !== undefined);
  let peakDlq: number | null = null;
  let lastDlqRiseAt: number | null = null;
  for (let i = 0; i < dlqSamples.length; i++) {
    const q = dlqSamples[i] as QueueSample & { dlq: number };
    peakDlq = Math.max(peakDlq ?? 0, q.dlq);
    if (i > 0 && q.dlq > (dlqSamples[i - 1] as { dlq: number }).dlq) lastDlqRiseAt = q.at;
  }
  const movedToDlq =
    dlqSamples.length > 0 ? Math.max(0, (dlqSamples[dlqSamples.length - 1] as { dlq: number }).dlq - (dlqSamples[0] as { dlq: number }).dlq) : null;
  const end = Math.max(lastResult ?? -Infinity, lastDlqRiseAt ?? -Infinity);
  const measuredDrainMs = firstWrite !== null && Number.isFinite(end) && end >= firstWrite ? roundMs(end - firstWrite) : null;
  const predicted = config?.prediction?.drainMs ?? null;
  const predictionError = predicted !== null && predicted > 0 && measuredDrainMs !== null ? Math.round((measuredDrainMs / predicted - 1) * 1000) / 1000 : null;

  const environments = new Set<string>();
  const invocations = new Map<string, { from: number; to: number; batchSize: number | null }>();
  for (const { result } of received) {
    const c = result.consumer;
    if (c === undefined) continue;
    environments.add(c.environment);
    if (c.invocation === null) continue;
    const span = invocations.get(c.invocation) ?? { from: Infinity, to: -Infinity, batchSize: c.batchSize };
    span.from = Math.min(span.from, result.processedAt);
    span.to = Math.max(span.to, result.processedAt + c.workMs);
    invocations.set(c.invocation, span);
  }
  const reported = environments.size > 0;
  // Overlap in time means something only when records took time (directed work); without, each
  // invocation's span is a few milliseconds of timestamps, and overlap is chance.
  const worked = received.some((r) => (r.result.consumer?.workMs ?? 0) > 0);
  return {
    config,
    measuredDrainMs,
    predictionError,
    environments: reported ? environments.size : null,
    invocations: reported && invocations.size > 0 ? invocations.size : null,
    peakConcurrentInvocations: invocations.size > 0 && worked ? peakOverlap([...invocations.values()]) : null,
    meanBatchSize: meanOf([...invocations.values()].flatMap((i) => (i.batchSize === null ? [] : [i.batchSize]))),
    movedToDlq,
    peakDlq,
  };
}

/** The most intervals open at one instant (a sweep over their ends; an interval ending where another starts does not overlap it). */
export function peakOverlap(spans: readonly { from: number; to: number }[]): number {
  const edges: [number, number][] = [];
  for (const s of spans) {
    // An invocation whose records took no time still ran: at least a millisecond.
    edges.push([s.from, 1], [Math.max(s.from + 1, s.to), -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    open += delta;
    peak = Math.max(peak, open);
  }
  return peak;
}

function meanOf(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  return Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10;
}
