import * as hdr from "hdr-histogram-js";
import type {
  BurstRawRun,
  BurstReport,
  ConnectionClose,
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

/**
 * Exactly once, in order, to the right connection. Duplicates are later copies of an id already
 * answered; an order violation is a first answer whose seq is below one already seen in its group
 * (results of one group all travel on one connection, so arrival order is the processing order);
 * a lost message was written but never answered.
 */
export function verify(
  sent: readonly SentRecord[],
  received: readonly ReceivedRecord[],
  dlqIds: ReadonlySet<string> = new Set(),
  closes: readonly ConnectionClose[] = [],
): Verification {
  const sentById = new Map(sent.map((s) => [s.id, s]));
  const { first, countById } = firstResults(received);
  // Failed writes (the connection was gone); messages never attempted because the run was
  // interrupted are neither sent nor failed.
  const notSent = sent.filter((s) => s.sendError !== null).map((s) => s.id);
  const written = sent.filter((s) => s.writtenAt !== null);
  const lost = written.filter((s) => !first.has(s.id)).map((s) => s.id);
  const lostInDlq = lost.filter((id) => dlqIds.has(id));
  const closedConnections = new Set(closes.map((c) => c.connection));
  const lostOnClosed = lost.filter((id) => closedConnections.has(sentById.get(id)?.connection ?? -1));
  const duplicated = [...countById].filter(([id, n]) => n > 1 && sentById.has(id)).map(([id, count]) => ({ id, count }));

  const unexpected = received
    .filter((r) => r.result.id === null || !sentById.has(r.result.id))
    .map((r) => ({ id: r.result.id, messageId: r.result.messageId }));

  const orderViolations: Verification["orderViolations"] = [];
  const highest = new Map<string, { seq: number; id: string }>();
  const misrouted: Verification["misrouted"] = [];
  const idsByConnection = new Map<number, Set<string>>();
  let retried = 0;
  for (const record of received) {
    const id = record.result.id;
    const mine = id === null ? undefined : sentById.get(id);
    if (!mine) continue;
    if (record.result.receiveCount > 1) retried += 1;
    if (first.get(mine.id) !== record) continue; // a duplicate: counted above, not an order question
    // The connectionId the API stamped on the message names the connection that sent it.
    const ids = idsByConnection.get(mine.connection) ?? new Set<string>();
    ids.add(record.result.connectionId);
    idsByConnection.set(mine.connection, ids);
    if (record.connection !== mine.connection) {
      // Arrival order across two TCP streams means nothing, so a misrouted result is reported as
      // misrouted and left out of its group's order check.
      misrouted.push({ id: mine.id, sentOn: mine.connection, arrivedOn: record.connection });
      continue;
    }
    const top = highest.get(mine.group);
    if (top && mine.seq < top.seq) orderViolations.push({ group: mine.group, id: mine.id, seq: mine.seq, afterId: top.id, afterSeq: top.seq });
    if (!top || mine.seq > top.seq) highest.set(mine.group, { seq: mine.seq, id: mine.id });
  }
  const connectionIdConflicts: Verification["connectionIdConflicts"] = [];
  const ownerOf = new Map<string, number>();
  for (const [connection, ids] of [...idsByConnection].sort((a, b) => a[0] - b[0])) {
    const shared = [...ids].some((cid) => ownerOf.has(cid) && ownerOf.get(cid) !== connection);
    if (ids.size > 1 || shared) connectionIdConflicts.push({ connection, connectionIds: [...ids] });
    for (const cid of ids) if (!ownerOf.has(cid)) ownerOf.set(cid, connection);
  }
  const ok =
    lost.length === 0 &&
    notSent.length === 0 &&
    duplicated.length === 0 &&
    orderViolations.length === 0 &&
    misrouted.length === 0 &&
    connectionIdConflicts.length === 0;
  return { ok, lost, lostInDlq, lostOnClosed, duplicated, orderViolations, misrouted, connectionIdConflicts, unexpected, notSent, retried };
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
  const verification = verify(raw.sent, raw.received, dlqIds, raw.errors.closes);
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
      duplicated: verification.duplicated.length,
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
  };
}
