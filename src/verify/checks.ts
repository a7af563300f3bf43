import type { BurstObservation, FrameObservation, RedriveObservation, VerifyObservations } from "./observations.js";

/**
 * The assumptions the local cloud makes about AWS that `wsq verify` can settle, each with what is
 * expected (what the local cloud does, which it must do too), how to read the observations, and
 * the fidelity ledger entry it concerns. Pure: observations in, outcomes out.
 */

export interface LedgerEntry {
  /** The docs file, relative to the repository (docs/sqs.md). */
  doc: string;
  /** The section heading in it. */
  section: string;
}

export interface CheckOutcome {
  id: string;
  title: string;
  /** assumption: must hold on AWS for the local cloud to be right; measurement: a figure the ledger records, held unless it could not be taken. */
  kind: "assumption" | "measurement";
  expected: string;
  seen: string;
  held: boolean;
  ledger: LedgerEntry[];
}

interface CheckDefinition {
  id: string;
  title: string;
  kind: CheckOutcome["kind"];
  expected: string;
  ledger: LedgerEntry[];
  evaluate(o: VerifyObservations): { held: boolean; seen: string };
}

/** The frames verify sends on their own, so the checks and the sender agree on them. */
export const PROBE_FRAMES = {
  nonJson: "wsq verify: plain text & more=1",
  numericGroup: 1234567,
  punctuatedGroup: "verify&group=1%2B+/:;!?#~",
  braceNotJson: "{wsq verify: not json",
} as const;

/**
 * The bursts, on one message group each: one second of the group's quota (300 SendMessage/s)
 * paced over that second; 20% above the quota, paced, for two seconds (the local cloud's
 * one-second burst allowance absorbs it; AWS documents none); three seconds' worth at once (more
 * than any reading of the quota admits, however slowly the frames are served); a close-together run.
 */
export const QUOTA_PER_SECOND = 300;
export const PACED_ABOVE_RATE = 360;
export const PACED_ABOVE_COUNT = 2 * PACED_ABOVE_RATE;
export const ABOVE_QUOTA_COUNT = 3 * QUOTA_PER_SECOND;
export const TOGETHER_COUNT = 50;

const THROTTLE_FRAME_KEYS = ["connectionId", "message", "requestId"];

function describeFrame(f: FrameObservation): string {
  if (f.outcome === "none") return `nothing came back within ${Math.round(f.waitedMs / 1000)} s`;
  if (f.outcome === "error") return `error frame ${JSON.stringify(f.errorMessage)} (members ${(f.errorKeys ?? []).join(", ")})`;
  const group = f.groupIsConnectionId ? "the connection's own group" : `group ${JSON.stringify(f.group)}`;
  return `queued in ${group} and answered with data ${JSON.stringify(f.data)}`;
}

/** Every one of `count` messages was sent and answered: none throttled, refused or lost. */
function allAnswered(b: BurstObservation, count: number): boolean {
  return b.sent === count && b.answered === b.sent && b.throttledAtQueue + b.throttledAtStage + b.refused + b.lost === 0;
}

function describeBurst(b: BurstObservation): string {
  const parts = [`${b.answered} of ${b.sent} answered`];
  if (b.throttledAtQueue > 0) parts.push(`${b.throttledAtQueue} throttled at the queue`);
  if (b.throttledAtStage > 0) parts.push(`${b.throttledAtStage} throttled by the stage`);
  if (b.refused > 0) parts.push(`${b.refused} refused`);
  if (b.lost > 0) parts.push(`${b.lost} lost`);
  if (b.duplicated > 0) parts.push(`${b.duplicated} duplicated`);
  if (b.orderViolations > 0) parts.push(`${b.orderViolations} out of the queue's order`);
  return `${parts.join(", ")} (${b.rate === "max" ? "sent at once" : `paced at ${b.rate}/s`}, ${b.outcome})`;
}

const SQS_QUOTAS: LedgerEntry = { doc: "docs/sqs.md", section: "FIFO throughput quotas" };
const REDRIVE_LEDGER: LedgerEntry[] = [
  { doc: "docs/dlq.md", section: "What a redrive means for the built-in echo handler" },
  { doc: "docs/sqs.md", section: "Decisions where AWS documents nothing (message move tasks)" },
];

/** How much earlier than the client's gap a redriven message's SentTimestamp may be (network, clocks). */
export const REDRIVE_TIMESTAMP_TOLERANCE_MS = 1000;

function redriveNotSeen(r: RedriveObservation | undefined): { held: false; seen: string } | null {
  if (r === undefined) return { held: false, seen: "not observed (a record of an earlier version)" };
  if (r.error !== null || r.original === null || r.redriven === null)
    return { held: false, seen: `could not observe a redrive: ${r.error ?? "no message came back"}` };
  return null;
}

export const CHECKS: readonly CheckDefinition[] = [
  {
    id: "queue-high-throughput",
    title: "The request queue is a high-throughput FIFO queue, deduplicated per group",
    kind: "assumption",
    expected: "FifoQueue=true, DeduplicationScope=messageGroup, FifoThroughputLimit=perMessageGroupId, ContentBasedDeduplication=false",
    ledger: [{ doc: "docs/deploy.md", section: "Fidelity ledger" }, SQS_QUOTAS],
    evaluate(o) {
      const a = o.queueAttributes;
      if (a === null) return { held: false, seen: `GetQueueAttributes failed: ${o.queueAttributesError ?? "unknown error"}` };
      const want: Record<string, string> = {
        FifoQueue: "true",
        DeduplicationScope: "messageGroup",
        FifoThroughputLimit: "perMessageGroupId",
        ContentBasedDeduplication: "false",
      };
      const seen = Object.keys(want)
        .map((k) => `${k}=${a[k] ?? "(absent)"}`)
        .join(", ");
      return { held: Object.entries(want).every(([k, v]) => a[k] === v), seen };
    },
  },
  {
    id: "queue-visibility-redrive",
    title: "The queue's visibility timeout is six times the function's, and failed messages go to the DLQ",
    kind: "assumption",
    expected: "VisibilityTimeout = 6 × the function timeout; RedrivePolicy names the stack's DLQ with maxReceiveCount ≥ 5",
    ledger: [{ doc: "docs/deploy.md", section: "What gets deployed" }],
    evaluate(o) {
      const a = o.queueAttributes;
      if (a === null) return { held: false, seen: `GetQueueAttributes failed: ${o.queueAttributesError ?? "unknown error"}` };
      let redrive: { deadLetterTargetArn?: string; maxReceiveCount?: number | string } = {};
      try {
        redrive = JSON.parse(a.RedrivePolicy ?? "{}") as typeof redrive;
      } catch {
        redrive = {};
      }
      const visibility = Number(a.VisibilityTimeout);
      const timeout = o.functionTimeoutSeconds;
      const maxReceiveCount = Number(redrive.maxReceiveCount);
      const held =
        timeout !== null &&
        visibility === 6 * timeout &&
        redrive.deadLetterTargetArn === o.deadLetterQueueArn &&
        o.deadLetterQueueArn !== null &&
        maxReceiveCount >= 5;
      return {
        held,
        seen: `VisibilityTimeout=${a.VisibilityTimeout ?? "(absent)"} with a function timeout of ${timeout ?? "?"} s; RedrivePolicy ${a.RedrivePolicy ?? "(absent)"}`,
      };
    },
  },
  {
    id: "frame-not-json",
    title: "A text frame that is not JSON is queued verbatim in the connection's own group",
    kind: "assumption",
    expected: `${JSON.stringify(PROBE_FRAMES.nonJson)} answered with the same text as data, grouped by the connection id`,
    ledger: [
      { doc: "docs/deploy.md", section: "The mapping template" },
      { doc: "docs/apigateway-mapping.md", section: "Fidelity ledger" },
    ],
    evaluate(o) {
      const f = o.frames.nonJson;
      return { held: f.outcome === "result" && f.data === PROBE_FRAMES.nonJson && f.groupIsConnectionId === true, seen: describeFrame(f) };
    },
  },
  {
    id: "group-numeric",
    title: "A numeric MessageGroupId becomes its text (the template quotes it before $util.urlEncode)",
    kind: "assumption",
    expected: `group "${PROBE_FRAMES.numericGroup}"`,
    ledger: [
      { doc: "docs/apigateway-mapping.md", section: "Strict typing" },
      { doc: "docs/deploy.md", section: "The mapping template" },
    ],
    evaluate(o) {
      const f = o.frames.numericGroup;
      return { held: f.outcome === "result" && f.group === String(PROBE_FRAMES.numericGroup), seen: describeFrame(f) };
    },
  },
  {
    id: "group-punctuated",
    title: "A MessageGroupId with &, =, %, + and other punctuation arrives exactly as sent",
    kind: "assumption",
    expected: `group ${JSON.stringify(PROBE_FRAMES.punctuatedGroup)}`,
    ledger: [
      { doc: "docs/apigateway-mapping.md", section: "The shipped template" },
      { doc: "docs/deploy.md", section: "The mapping template" },
    ],
    evaluate(o) {
      const f = o.frames.punctuatedGroup;
      return { held: f.outcome === "result" && f.group === PROBE_FRAMES.punctuatedGroup, seen: describeFrame(f) };
    },
  },
  {
    id: "frame-brace-not-json",
    title: "A frame that starts like a JSON object but is not JSON fails the integration (the strict reading of $input.path)",
    kind: "assumption",
    expected: 'the error frame "Internal server error", nothing queued',
    ledger: [
      { doc: "docs/deploy.md", section: "Fidelity ledger" },
      { doc: "docs/apigateway-mapping.md", section: "Fidelity ledger" },
    ],
    evaluate(o) {
      const f = o.frames.braceNotJson;
      return { held: f.outcome === "error" && f.errorMessage === "Internal server error", seen: describeFrame(f) };
    },
  },
  {
    id: "quota-at-boundary",
    title: `A message group takes ${QUOTA_PER_SECOND} SendMessage calls paced over one second`,
    kind: "assumption",
    expected: `all ${QUOTA_PER_SECOND} queued and answered, none throttled`,
    ledger: [SQS_QUOTAS],
    evaluate(o) {
      return { held: allAnswered(o.bursts.atQuota, QUOTA_PER_SECOND), seen: describeBurst(o.bursts.atQuota) };
    },
  },
  {
    id: "quota-burst-allowance",
    title: `A message group paced ${Math.round((PACED_ABOVE_RATE / QUOTA_PER_SECOND - 1) * 100)}% above its quota for two seconds is not throttled (a one-second burst allowance)`,
    kind: "assumption",
    expected: `all ${PACED_ABOVE_COUNT} (${PACED_ABOVE_RATE}/s for 2 s) answered, none throttled: the quota's bucket holds one second's worth`,
    ledger: [SQS_QUOTAS],
    evaluate(o) {
      return { held: allAnswered(o.bursts.pacedAbove, PACED_ABOVE_COUNT), seen: describeBurst(o.bursts.pacedAbove) };
    },
  },
  {
    id: "quota-above",
    title: `Above ${QUOTA_PER_SECOND} SendMessage calls in a second, a message group's frames are throttled at the queue, and only those`,
    kind: "assumption",
    expected: `of ${ABOVE_QUOTA_COUNT} sent at once, some throttled at the queue (locally up to ${ABOVE_QUOTA_COUNT - QUOTA_PER_SECOND}: the bucket holds one second), every other one answered, none lost`,
    ledger: [SQS_QUOTAS, { doc: "docs/burst.md", section: "Fidelity ledger" }],
    evaluate(o) {
      const b = o.bursts.aboveQuota;
      const held = b.throttledAtQueue > 0 && b.lost === 0 && b.throttledAtStage === 0 && b.refused === 0 && b.answered + b.throttledAtQueue === b.sent;
      return { held, seen: describeBurst(b) };
    },
  },
  {
    id: "throttle-error-frame",
    title: "A frame the queue throttled is answered with API Gateway's one-way error frame",
    kind: "assumption",
    expected: '{"message":"Internal server error","connectionId":…,"requestId":…} for each throttled frame',
    ledger: [
      { doc: "docs/apigateway.md", section: "Fidelity ledger" },
      { doc: "docs/burst.md", section: "Fidelity ledger" },
    ],
    evaluate(o) {
      const frames = o.bursts.aboveQuota.errorFrames;
      if (frames.length === 0) return { held: false, seen: "no error frame arrived (nothing was throttled, or the gateway sent nothing for it)" };
      const held = frames.every((f) => f.message === "Internal server error" && f.keys.join(",") === THROTTLE_FRAME_KEYS.join(","));
      return { held, seen: frames.map((f) => `${f.count} × ${JSON.stringify(f.message)} (members ${f.keys.join(", ")})`).join("; ") };
    },
  },
  {
    id: "order-sequence",
    title: "Within a group, results arrive in SQS sequence-number order, each exactly once",
    kind: "assumption",
    expected: "no result out of the queue's order, no duplicate, in every burst",
    ledger: [
      { doc: "docs/burst.md", section: "Fidelity ledger" },
      { doc: "docs/sqs.md", section: "Matches AWS" },
    ],
    evaluate(o) {
      const all = [o.bursts.atQuota, o.bursts.pacedAbove, o.bursts.aboveQuota, o.bursts.together];
      const violations = all.reduce((n, b) => n + b.orderViolations, 0);
      const duplicates = all.reduce((n, b) => n + b.duplicated, 0);
      const answered = all.reduce((n, b) => n + b.answered, 0);
      return { held: violations === 0 && duplicates === 0 && answered > 0, seen: `${answered} results: ${violations} out of order, ${duplicates} duplicated` };
    },
  },
  {
    id: "order-before-queue",
    title: "How often frames sent together on one connection reach the queue out of send order",
    kind: "measurement",
    expected:
      "any number: AWS documents no order before the integration; the local cloud lets frames that arrive together reach the queue in any order (none with --ordered-frames)",
    ledger: [{ doc: "docs/apigateway.md", section: "Fidelity ledger" }],
    evaluate(o) {
      const b = o.bursts.together;
      const held = b.answered === b.sent && b.sent > 0;
      return {
        held,
        seen: held ? `${b.reorderedBeforeQueue} of ${b.sent} reached the queue out of send order` : `could not measure: ${describeBurst(b)}`,
      };
    },
  },
  {
    id: "redrive-deduplication-id",
    title: "A message redriven from a FIFO dead-letter queue no longer carries the deduplication id it was sent with",
    kind: "assumption",
    expected:
      "a new message id, a MessageDeduplicationId other than the one sent (SQS replaced it with the message id when it dead-lettered it), the message attributes carried: how the echo handler tells a redriven message, whose fail directive is void",
    ledger: REDRIVE_LEDGER,
    evaluate(o) {
      const r = o.redrive;
      const notSeen = redriveNotSeen(r);
      if (notSeen !== null || r === undefined || r.original === null || r.redriven === null) return notSeen ?? { held: false, seen: "not observed" };
      const held =
        r.original.deduplicationId === r.requestId &&
        r.redriven.deduplicationId !== null &&
        r.redriven.deduplicationId !== r.requestId &&
        r.redriven.messageId !== r.original.messageId &&
        r.redriven.requestIdAttribute === r.requestId;
      return {
        held,
        seen: `sent with deduplication id ${JSON.stringify(r.original.deduplicationId)}; redriven as message ${r.redriven.messageId} (was ${r.original.messageId}) with deduplication id ${JSON.stringify(r.redriven.deduplicationId)} and requestId attribute ${JSON.stringify(r.redriven.requestIdAttribute)}`,
      };
    },
  },
  {
    id: "redrive-sent-timestamp",
    title: "A redriven message's SentTimestamp is the time of its redrive (a redriven message is a new message)",
    kind: "assumption",
    expected: `SentTimestamp later than the original's by the time between the send and the redrive (less ${REDRIVE_TIMESTAMP_TOLERANCE_MS} ms), and a receive count started afresh: the echo handler's second sign of a redrive`,
    ledger: REDRIVE_LEDGER,
    evaluate(o) {
      const r = o.redrive;
      const notSeen = redriveNotSeen(r);
      if (notSeen !== null || r === undefined || r.original === null || r.redriven === null) return notSeen ?? { held: false, seen: "not observed" };
      const later = r.original.sentTimestamp !== null && r.redriven.sentTimestamp !== null ? r.redriven.sentTimestamp - r.original.sentTimestamp : null;
      const held = later !== null && r.gapMs !== null && later >= r.gapMs - REDRIVE_TIMESTAMP_TOLERANCE_MS && r.redriven.receiveCount === 1;
      return {
        held,
        seen: `SentTimestamp ${later === null ? "missing" : `${later} ms after the original's`}, the redrive started ${r.gapMs ?? "?"} ms after the send; receive count ${r.redriven.receiveCount} when it came back`,
      };
    },
  },
  {
    id: "dlq-untouched",
    title: "Nothing of this run was dead-lettered (the handler's partial batch responses)",
    kind: "assumption",
    expected: "the dead-letter queue's depth unchanged",
    ledger: [{ doc: "docs/lambda.md", section: "Fidelity ledger" }],
    evaluate(o) {
      const held = o.dlqDepthBefore !== null && o.dlqDepthAfter === o.dlqDepthBefore;
      return { held, seen: `depth ${o.dlqDepthBefore ?? "?"} before, ${o.dlqDepthAfter ?? "?"} after` };
    },
  },
  {
    id: "function-logs",
    title: "The function's logs have Lambda's START, END and REPORT lines, and no errors",
    kind: "assumption",
    expected: "START, END and REPORT lines; REPORT with Duration, Billed Duration, Memory Size, Max Memory Used; no ERROR line",
    ledger: [{ doc: "docs/lambda.md", section: "Fidelity ledger" }],
    evaluate(o) {
      const l = o.logs;
      if (l.error !== null) return { held: false, seen: `could not read the logs: ${l.error}` };
      const needed = ["Duration", "Billed Duration", "Memory Size", "Max Memory Used"];
      const missing = needed.filter((f) => !l.reportFields.includes(f));
      const held = l.starts > 0 && l.ends > 0 && l.reports > 0 && missing.length === 0 && l.errorLines.length === 0;
      const seen =
        `${l.lines} lines: ${l.starts} START, ${l.ends} END, ${l.reports} REPORT` +
        (missing.length > 0 ? `; REPORT without ${missing.join(", ")}` : "") +
        (l.errorLines.length > 0 ? `; errors: ${l.errorLines.slice(0, 3).join(" | ")}` : "");
      return { held, seen };
    },
  },
];

export function evaluateChecks(observations: VerifyObservations): CheckOutcome[] {
  return CHECKS.map((check) => {
    let result: { held: boolean; seen: string };
    try {
      result = check.evaluate(observations);
    } catch (error) {
      result = { held: false, seen: `could not be judged: ${error instanceof Error ? error.message : String(error)}` };
    }
    return { id: check.id, title: check.title, kind: check.kind, expected: check.expected, ledger: check.ledger, ...result };
  });
}
