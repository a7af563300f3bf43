/**
 * What `wsq verify` saw on a target: plain JSON, recorded by run-verify.ts and judged by checks.ts
 * (pure), so that the judgement can be tested with observations recorded elsewhere (an AWS run).
 */

/** What came back for one frame sent on its own (nothing else pending on its connection). */
export interface FrameObservation {
  /** The frame's text, as sent. */
  sent: string;
  /** result: a PatternResult; error: API Gateway's error frame; none: nothing within the wait. */
  outcome: "result" | "error" | "none";
  /** For a result: its group, whether that is the sending connection's id, its data and id. */
  group?: string;
  groupIsConnectionId?: boolean;
  data?: unknown;
  id?: string | null;
  /** For an error frame: its message and its member names. */
  errorMessage?: string;
  errorKeys?: string[];
  waitedMs: number;
}

/** A burst of frames on one message group over one connection, as `wsq burst` measured it. */
export interface BurstObservation {
  /** Messages sent, and how: a rate per second, or "max" (as fast as the socket takes them). */
  count: number;
  rate: number | "max";
  group: string;
  sent: number;
  answered: number;
  /** Tied to error frames: the integration failed (the queue's throttling), the stage throttled, other refusals. */
  throttledAtQueue: number;
  throttledAtStage: number;
  refused: number;
  lost: number;
  duplicated: number;
  /** Results that arrived out of the queue's (sequence-number) order. */
  orderViolations: number;
  /** Messages that reached the queue out of send order. */
  reorderedBeforeQueue: number;
  /** The distinct shapes of the error frames received: message and member names. */
  errorFrames: { message: string; keys: string[]; count: number }[];
  outcome: string;
  durationMs: number;
}

/**
 * A message dead-lettered and redriven on a pair of FIFO queues verify creates for it (and
 * deletes): what SQS said about it when it was sent, and when it came back from the DLQ.
 */
export interface RedriveObservation {
  /** What it was sent with as its MessageDeduplicationId and its requestId attribute (as API Gateway's template does). */
  requestId: string;
  original: { messageId: string; deduplicationId: string | null; sentTimestamp: number | null } | null;
  redriven: { messageId: string; deduplicationId: string | null; sentTimestamp: number | null; receiveCount: number; requestIdAttribute: string | null } | null;
  /** Client time from the send to the start of the move task (ms). */
  gapMs: number | null;
  /** Why the experiment did not finish, if it did not. */
  error: string | null;
}

export interface VerifyObservations {
  target: "local" | "aws";
  region: string | null;
  stackName: string;
  /** The local cloud's settings, when the target is the local cloud (null on AWS or when unknown). */
  local: { quotas: boolean; orderedFrames: boolean } | null;
  /** GetQueueAttributes All on the request queue; null with the error when it failed. */
  queueAttributes: Record<string, string> | null;
  queueAttributesError: string | null;
  /** The dead-letter queue's ARN (for the redrive policy) and the function's timeout. */
  deadLetterQueueArn: string | null;
  functionTimeoutSeconds: number | null;
  frames: {
    nonJson: FrameObservation;
    numericGroup: FrameObservation;
    punctuatedGroup: FrameObservation;
    braceNotJson: FrameObservation;
  };
  bursts: {
    /** One second's worth of the group's quota, paced evenly over that second. */
    atQuota: BurstObservation;
    /** 20% above the quota, paced, for two seconds. */
    pacedAbove: BurstObservation;
    /** Three seconds' worth, as fast as one connection sends. */
    aboveQuota: BurstObservation;
    /** A close-together run on one connection and group, to measure reordering before the queue. */
    together: BurstObservation;
  };
  /** A redrive, observed on queues of its own. Absent in records of earlier versions. */
  redrive?: RedriveObservation;
  /** Messages visible or in flight in the DLQ before and after the run. */
  dlqDepthBefore: number | null;
  dlqDepthAfter: number | null;
  /** The function's log lines since the run started (FilterLogEvents), summarized. */
  logs: {
    lines: number;
    starts: number;
    ends: number;
    reports: number;
    /** Fields found in REPORT lines ("Duration", "Billed Duration", ...). */
    reportFields: string[];
    /** Lines at ERROR level, or naming an error, first few. */
    errorLines: string[];
    error: string | null;
  };
}
