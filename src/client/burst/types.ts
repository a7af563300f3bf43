import type { PatternResult } from "../../shared/pattern-messages.js";
import type { Rate } from "./plan.js";
import type { QuotaCheck } from "./quota.js";
import type { ConsumerFlags, ConsumerSettings, DrainPrediction } from "./consumer.js";

/**
 * The records a burst collects while it runs (measuring) and the report computed from them
 * (pure, in stats.ts). Renderers (table, live view, HTML, --json) read only BurstReport.
 * Times are ms on the run's monotonic clock, 0 = sending starts.
 */

export interface SentRecord {
  id: string;
  group: string;
  seq: number;
  connection: number;
  /** When the plan wanted it sent. Latency is measured from here (no coordinated omission). */
  dueAt: number;
  /** When ws.send was called. */
  sendCalledAt: number | null;
  /** When ws.send's callback reported the frame written to the socket. */
  writtenAt: number | null;
  sendError: string | null;
}

export interface ReceivedRecord {
  at: number;
  /** The connection (index) the result arrived on. */
  connection: number;
  result: PatternResult;
}

export interface QueueSample {
  at: number;
  /** ApproximateNumberOfMessages: stored, waiting to be received. */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible: received by the function, not yet deleted. */
  inFlight: number;
  /** ApproximateNumberOfMessagesDelayed. */
  delayed: number;
  /** The dead-letter queue's depth (visible + in flight), when it is watched. Absent in older event logs. */
  dlq?: number;
}

export interface ConnectionClose {
  connection: number;
  at: number;
  code: number;
  reason: string;
  meaning: string;
}

export interface BurstErrors {
  connectFailures: { connection: number; message: string }[];
  /**
   * Connections refused with HTTP 429 and error frames that say API Gateway throttled (kept for
   * event logs of earlier versions; the report's verification.throttled ties throttled frames to
   * messages and tells the queue's throttling from API Gateway's).
   */
  throttled: number;
  /** Frames API Gateway sends when it could not process a message ({"message": …}). */
  errorFrames: { connection: number; at: number; message: string; /** The frame's member names (absent in older event logs). */ members?: string[] }[];
  /** Closes that happened before the run ended. */
  closes: ConnectionClose[];
  sendErrors: number;
  /** Frames that were neither results nor API error frames. */
  otherFrames: number;
  queuePollErrors: { at: number; message: string }[];
}

/**
 * complete: every written message answered, or refused by an error frame (throttled). timeout: --timeout passed first. interrupted: Ctrl-C.
 * connections-lost: every connection closed early. queue-empty: the queue read empty for a quiet
 * while with messages still unanswered, so they were lost (see run-burst.ts).
 */
export type BurstOutcome = "complete" | "timeout" | "interrupted" | "connections-lost" | "queue-empty";

export interface DlqFinding {
  depth: { visible: number; inFlight: number } | null;
  /** Lost messages of this run found in the dead-letter queue (by id). */
  lostIds: string[];
  /** True when the DLQ held more messages than could be inspected. */
  partial: boolean;
  error: string | null;
}

export interface BurstRawRun {
  config: BurstConfig;
  /** Wall clock (epoch ms) at run time 0. */
  startedAtEpochMs: number;
  /** When the last connection opened, relative to 0 (negative: connections open before sending). */
  connectMs: number;
  endedAt: number;
  /** When the last message was written (or sending stopped). */
  sendEndedAt: number | null;
  outcome: BurstOutcome;
  sent: SentRecord[];
  received: ReceivedRecord[];
  samples: QueueSample[];
  errors: BurstErrors;
  dlq: DlqFinding | null;
}

export interface BurstConfig {
  runId: string;
  url: string;
  queueUrl: string | null;
  deadLetterQueueUrl: string | null;
  count: number;
  connections: number;
  activeConnections: number;
  groups: number;
  rate: Rate;
  size: number;
  timeoutMs: number;
  pollIntervalMs: number;
  /** True when --rate auto chose `rate` from the queue's quota. Absent in older event logs. */
  autoRate?: boolean;
  /** --strict-send-order: messages that reach the queue out of send order fail the run. Absent in older event logs. */
  strictSendOrder?: boolean;
  /** The FIFO quota check made before sending (quota.ts); absent in older event logs and without a queue. */
  quota?: QuotaCheck | null;
  /** What the burst asked of the consumer, and the drain predicted from it. Absent in older event logs. */
  consumer?: BurstConsumerConfig;
}

export interface BurstConsumerConfig {
  /** --work-ms, --fail-rate, --fail-once-rate, --seed. */
  flags: ConsumerFlags;
  /** The messages directed to fail on every delivery, and on the first only (ids). */
  failAlways: string[];
  failOnce: string[];
  /** The stack's settings the prediction rests on. */
  settings: ConsumerSettings;
  /** Null when the burst carries no directives. */
  prediction: DrainPrediction | null;
}

export interface LatencyStats {
  count: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

export interface HistogramBin {
  /** Lower and upper bound, ms. */
  from: number;
  to: number;
  count: number;
}

export interface TimelinePoint {
  at: number;
  sent: number;
  received: number;
  /** Messages per second in the bin ending at `at`. */
  sendRate: number;
  receiveRate: number;
  /** Sent minus answered, as the client sees it. */
  clientInFlight: number;
}

export interface Verification {
  ok: boolean;
  /** Written, never answered, not refused with an error frame, and not found in the dead-letter queue. */
  lost: string[];
  /** Written, never answered, and found in the dead-letter queue: dead-lettered, not lost. (The same list as deadLettered; the name of earlier versions.) */
  lostInDlq: string[];
  /**
   * Unanswered messages of this run found in the dead-letter queue. Expected when the message was
   * directed to fail always, or another message of its group was (it shared that message's batch:
   * Lambda hands the rest of a FIFO group's batch back with a failure, so it reached
   * maxReceiveCount with it). Absent in older reports.
   */
  deadLettered?: string[];
  /**
   * Unanswered messages not seen in the DLQ, whose group filled the page a FIFO DLQ shows an
   * inspection (10 of a group) when the inspection was partial: taken as in the DLQ behind it, not lost.
   */
  dlqHidden?: string[];
  /** Of the dead-lettered (and hidden), those in a group nothing was directed to fail in: the function failed them by itself. These fail the run. */
  deadLetteredUnexpected?: string[];
  /** Messages directed to fail always that were answered anyway (a function that does not honour directives). */
  directedButAnswered?: string[];
  /**
   * Of the lost, those written on a connection that then closed early: their results had no
   * connection to go to (API Gateway drops posts to a gone connection), so the queue may still
   * hold them or the function may have processed them; the client cannot tell.
   */
  lostOnClosed: string[];
  duplicated: { id: string; count: number }[];
  /**
   * What the pattern guarantees, checked: within a group, results arrive in the order of their SQS
   * sequence numbers. A violation is a first result whose sequence number is below one already
   * received for its group on the same connection (results of one group on two connections race,
   * so they are compared per connection). `seq` and `afterSeq` are the client's send order.
   */
  orderViolations: {
    group: string;
    id: string;
    seq: number;
    sequenceNumber: string;
    afterId: string;
    afterSeq: number;
    afterSequenceNumber: string;
  }[];
  /**
   * Information, not a failure unless --strict-send-order: messages that reached the queue after a
   * message of their group that was sent later (a higher sequence number than it, a lower `seq`).
   * API Gateway runs each frame's integration as its own request and promises no order before the
   * queue, so this is where reordering happens: before the queue.
   */
  sendOrderReorderings: { group: string; id: string; seq: number; afterId: string; afterSeq: number }[];
  /** Whether send-order reorderings fail the run (--strict-send-order). */
  strictSendOrder: boolean;
  /**
   * Messages API Gateway answered with an error frame instead of queueing them (never lost: they
   * never entered the queue), tied to messages by connection and time (see attributeErrorFrames):
   * throttled at the queue's door (SQS's FIFO throughput quota: the integration failed, "Internal
   * server error"), throttled by API Gateway itself (the stage's or account's rate, "Too Many
   * Requests"), or refused for another reason.
   */
  throttled: { queue: string[]; stage: string[] };
  refused: string[];
  /** First results without an SQS sequence number (not from a FIFO queue): their order cannot be checked. */
  unsequenced: number;
  /** Results that arrived on a different connection than the one that sent the message. */
  misrouted: { id: string; sentOn: number; arrivedOn: number }[];
  /** A sending connection whose results named more than one connectionId, or two connections sharing one. */
  connectionIdConflicts: { connection: number; connectionIds: string[] }[];
  /** Results whose id this run did not send. */
  unexpected: { id: string | null; messageId: string }[];
  /** Messages never written because the connection failed (not counted as lost). */
  notSent: string[];
  /** Results processed on a retry (ApproximateReceiveCount > 1). */
  retried: number;
  /** Of the retried, those directed to fail once. Absent in older reports. */
  retriedDirected?: number;
}

export interface BurstReport {
  version: 1;
  config: BurstConfig;
  outcome: BurstOutcome;
  startedAt: string;
  durationMs: number;
  connectMs: number;
  counts: {
    planned: number;
    sent: number;
    answered: number;
    results: number;
    lost: number;
    /** Found in the dead-letter queue (or taken as hidden there): dead-lettered, not lost. Absent in older reports. */
    deadLettered?: number;
    duplicated: number;
    /** Throttled at the queue or at the stage: refused before the queue, not lost. */
    throttled: number;
    /** Refused by API Gateway for another reason. */
    refused: number;
    /** Reached the queue in another order than sent (information unless --strict-send-order). */
    reorderedBeforeQueue: number;
  };
  rates: {
    /** Messages written per second, first to last write. */
    sendPerSecond: number | null;
    /** Results per second, first to last result. */
    processPerSecond: number | null;
    /** Answered messages per second over the whole burst (first send to last result). */
    throughputPerSecond: number | null;
  };
  queue: {
    polled: boolean;
    peakDepth: number | null;
    peakVisible: number | null;
    peakInFlight: number | null;
    peakAt: number | null;
    /** Last result minus last write: how long the backlog took to clear once sending stopped. */
    drainMs: number | null;
    /** First queue sample after the peak that read empty, relative to sending's end. */
    queueEmptyAfterSendMs: number | null;
    samples: QueueSample[];
  };
  latency: {
    /** Result arrival minus due time (coordinated-omission free). */
    endToEnd: LatencyStats;
    /** Result arrival minus the write callback. */
    fromWrite: LatencyStats;
    /** Due time to written: the client's own delay. */
    clientDelay: LatencyStats;
    /** The handler's queueWaitMs: how long the queue held each message. */
    queueWait: LatencyStats;
    /** From write to result, minus queue wait: network, API, enqueue, handler, post back. */
    outsideQueue: LatencyStats;
    histogram: HistogramBin[];
  };
  timeline: TimelinePoint[];
  verification: Verification;
  errors: BurstErrors;
  dlq: DlqFinding | null;
  /** The consumer's side. Absent in reports of earlier versions. */
  consumer?: ConsumerFigures;
}

/** The consumer's side of a burst, from the results (which carry where each was processed) and the queue samples. */
export interface ConsumerFigures {
  /** What the burst asked of the consumer, and the prediction (null without directives). */
  config: BurstConsumerConfig | null;
  /** First write to the last result or the last increase of the DLQ's depth: how long the consumer took (ms). */
  measuredDrainMs: number | null;
  /** Measured ÷ predicted − 1 (0.06 is 6% slower than predicted); null without a prediction. */
  predictionError: number | null;
  /** Distinct execution environments and invocations (batches) among the results; null when the results do not say (a --handler that does not opt in). */
  environments: number | null;
  invocations: number | null;
  /** The most invocations (= busy environments, one batch each) whose results overlapped in time, from the handler's timestamps. */
  peakConcurrentInvocations: number | null;
  /** Mean records per invocation, as the handler saw them. */
  meanBatchSize: number | null;
  /** Messages moved to the DLQ during the run: the DLQ's depth at the end minus at the start (null when not watched). */
  movedToDlq: number | null;
  /** The DLQ's highest depth seen, and when. */
  peakDlq: number | null;
}
