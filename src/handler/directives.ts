/**
 * Consumer directives: a message may ask the built-in echo handler to take time (`work`) or to
 * fail (`fail: "once" | "always"`), so that a burst shows a slow or failing consumer and the queue
 * buffering for it. The format is in src/shared/pattern-messages.ts and docs/deploy.md.
 *
 * - `work` is spent before the answer is posted, and capped so that it can never time the function
 *   out: a batch's records share one invocation, so each record gets at most what is left of the
 *   invocation's time (Lambda's context.getRemainingTimeInMillis) less a reserve for posting.
 * - `fail: "once"` fails the delivery whose ApproximateReceiveCount is 1 and succeeds on every
 *   later one; decided from what SQS tells the handler, not from memory in an environment, since
 *   a retry may run in another environment or after a restart. A message handed back unprocessed on
 *   its first delivery (behind an earlier failure of its group in the batch) has no failing
 *   delivery left: its second delivery is not its first.
 * - `fail: "always"` fails every delivery; after maxReceiveCount receives SQS dead-letters it.
 * - A message that did not come straight from API Gateway, but back from the dead-letter queue (a
 *   redrive), is never failed: the redrive is the operator saying the cause is fixed, and for the
 *   echo handler the directive is the cause (docs/dlq.md). It is recognised by what SQS changes:
 *   its MessageDeduplicationId is no longer API Gateway's request id (SQS replaces a FIFO message's
 *   deduplication id with its message id when it moves it to a FIFO DLQ, and a redrive carries that
 *   on), or its SentTimestamp is more than API Gateway's 29-second integration timeout after the
 *   request (a redriven message is a new message, enqueued at the redrive). `wsq verify` checks both
 *   on the target.
 *
 * A `--handler` function is unaffected unless it opts in: `import { withDirectives } from
 * "wsq/directives"` and export `process = withDirectives(yourFunction)`.
 */
import { randomBytes } from "node:crypto";
import {
  DIRECTIVES_MEMBER,
  isRecord,
  MAX_WORK_MS,
  WORK_RESERVE_MS,
  workReserveMs,
  type ConsumerDirectives,
  type FailDirective,
} from "../shared/pattern-messages.js";
import { logLine } from "./log.js";
import type { ProcessContext, ProcessFunction } from "./process-batch.js";
import type { SqsBatchResponse, SqsEvent } from "./sqs-event.js";

/** API Gateway's integration timeout (29 s): SQS has the frame within it, or never. */
export const INTEGRATION_TIMEOUT_MS = 29_000;
/** Without an invocation deadline (no Lambda context): Lambda's default timeout, 3 s, less the reserve. */
export const NO_DEADLINE_WORK_CAP_MS = 2_000;

export type ParsedDirectives = { directives: ConsumerDirectives; error: null } | { directives: null; error: string } | { directives: null; error: null };

/** The `wsq` member of a message, checked (pure). No member: nothing; a malformed one: the reason, and nothing applies. */
export function parseDirectives(message: unknown): ParsedDirectives {
  if (!isRecord(message) || !(DIRECTIVES_MEMBER in message)) return { directives: null, error: null };
  const raw = message[DIRECTIVES_MEMBER];
  if (!isRecord(raw)) return { directives: null, error: `"${DIRECTIVES_MEMBER}" must be an object like {"work":20,"fail":"once"}` };
  const unknown = Object.keys(raw).filter((key) => key !== "work" && key !== "fail");
  if (unknown.length > 0) return { directives: null, error: `unknown directive ${unknown.map((k) => JSON.stringify(k)).join(", ")} (known: work, fail)` };
  const directives: ConsumerDirectives = {};
  if (raw.work !== undefined) {
    if (typeof raw.work !== "number" || !Number.isInteger(raw.work) || raw.work < 0 || raw.work > MAX_WORK_MS) {
      return { directives: null, error: `"work" must be a whole number of milliseconds from 0 to ${MAX_WORK_MS}, not ${JSON.stringify(raw.work)}` };
    }
    directives.work = raw.work;
  }
  if (raw.fail !== undefined) {
    if (raw.fail !== "once" && raw.fail !== "always") return { directives: null, error: `"fail" must be "once" or "always", not ${JSON.stringify(raw.fail)}` };
    directives.fail = raw.fail;
  }
  return { directives, error: null };
}

/** What SQS says about a delivery that tells a redriven message from one straight from API Gateway. */
export interface DeliveryFacts {
  receiveCount: number;
  deduplicationId: string | null;
  requestId: string | null;
  sentTimestamp: number | null;
  requestTimeEpoch: number | null;
}

/**
 * Why a message is taken as redriven (back from the dead-letter queue), or null when it came
 * straight from API Gateway as far as SQS tells.
 */
export function redriveEvidence(facts: DeliveryFacts): "deduplication-id" | "sent-timestamp" | null {
  if (facts.deduplicationId !== null && facts.requestId !== null && facts.deduplicationId !== facts.requestId) return "deduplication-id";
  if (facts.sentTimestamp !== null && facts.requestTimeEpoch !== null && facts.sentTimestamp - facts.requestTimeEpoch > INTEGRATION_TIMEOUT_MS) {
    return "sent-timestamp";
  }
  return null;
}

export interface DirectiveDecision {
  /** Sleep this long before answering (or failing). */
  workMs: number;
  requestedWorkMs: number | null;
  /** Fail this delivery. */
  fail: boolean;
  failDirective: FailDirective | null;
  redriven: boolean;
  error: string | null;
}

/** What to do with one delivery (pure): `budgetMs` is the most `work` may take now. */
export function decideDirectives(message: unknown, facts: DeliveryFacts, budgetMs: number): DirectiveDecision {
  const parsed = parseDirectives(message);
  const redriven = redriveEvidence(facts) !== null;
  const directives = parsed.directives ?? {};
  const requested = directives.work ?? null;
  const failDirective = directives.fail ?? null;
  const fail = !redriven && (failDirective === "always" || (failDirective === "once" && facts.receiveCount <= 1));
  return {
    workMs: requested === null ? 0 : Math.max(0, Math.min(requested, Math.floor(budgetMs))),
    requestedWorkMs: requested,
    fail,
    failDirective,
    redriven,
    error: parsed.error,
  };
}

/** The error a directed failure throws: its name and message are what `wsq dlq list` shows from the logs. */
export class DirectedFailure extends Error {
  constructor(directive: FailDirective, receiveCount: number) {
    super(
      directive === "once"
        ? `failed as the message's "fail":"once" directive asks (delivery ${receiveCount}; the next delivery succeeds)`
        : `failed as the message's "fail":"always" directive asks (delivery ${receiveCount}; every delivery fails, so SQS dead-letters it)`,
    );
    this.name = "DirectedFailure";
  }
}

// ------------------------------------------------------------------ the invocation
/** The part of Lambda's context object read here. */
export interface LambdaContextLike {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

interface Invocation {
  /** Epoch ms when the function times out, if known. */
  deadline: number | null;
  /** What is kept back from `work` for posting and ending the invocation. */
  reserveMs: number;
  requestId: string | null;
  batchSize: number | null;
}

/** Drawn when the module loads, i.e. once per execution environment. */
const ENVIRONMENT_ID = randomBytes(4).toString("hex");
/** The invocation running in this environment: Lambda runs one at a time per environment. */
let current: Invocation | undefined;

/** The most a record's `work` may take now, so that the invocation ends before its deadline. */
export function workBudgetMs(now: number, invocation: Invocation | undefined = current): number {
  if (invocation?.deadline === null || invocation?.deadline === undefined) return NO_DEADLINE_WORK_CAP_MS;
  return Math.max(0, invocation.deadline - now - invocation.reserveMs);
}

/**
 * Wraps the Lambda handler so that directives know the invocation's deadline (from the context),
 * its request id and its batch size. The entry of the built-in handler (index.ts) and of a
 * `--handler` bundle use it; it changes nothing else.
 */
export function withInvocation(
  handler: (event: SqsEvent) => Promise<SqsBatchResponse>,
): (event: SqsEvent, context?: LambdaContextLike) => Promise<SqsBatchResponse> {
  return async (event, context) => {
    const remaining = typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : null;
    current = {
      deadline: remaining === null ? null : Date.now() + remaining,
      reserveMs: remaining === null ? WORK_RESERVE_MS : workReserveMs(remaining),
      requestId: typeof context?.awsRequestId === "string" ? context.awsRequestId : null,
      batchSize: Array.isArray(event?.Records) ? event.Records.length : null,
    };
    try {
      return await handler(event);
    } finally {
      current = undefined;
    }
  };
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A processing function that honours the message's directives, then runs `process`. What it
 * applied is posted with the result (`consumer`); a directed failure throws DirectedFailure, so the
 * record is retried (or dead-lettered) like any failure, and nothing is posted for it.
 */
export function withDirectives(process_: ProcessFunction, options: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {}): ProcessFunction {
  const now = options.now ?? (() => Date.now());
  const wait = options.sleep ?? sleep;
  return async (message: unknown, context: ProcessContext) => {
    const decision = decideDirectives(message, context, workBudgetMs(now()));
    const id = typeof (message as { id?: unknown } | null)?.id === "string" ? (message as { id: string }).id : undefined;
    const fields = { messageId: context.messageId, group: context.group, ...(id !== undefined ? { id } : {}) };
    if (decision.error !== null) logLine("warn", `consumer directives ignored: ${decision.error}`, fields);
    if (decision.redriven && decision.failDirective !== null) {
      logLine("info", `redriven message: its "fail":"${decision.failDirective}" directive is void`, fields);
    }
    await wait(decision.workMs);
    if (decision.fail) throw new DirectedFailure(decision.failDirective as FailDirective, context.receiveCount);
    context.consumer = {
      environment: ENVIRONMENT_ID,
      invocation: current?.requestId ?? null,
      batchSize: current?.batchSize ?? null,
      workMs: decision.workMs,
      requestedWorkMs: decision.requestedWorkMs,
      fail: decision.failDirective,
      redriven: decision.redriven,
      directiveError: decision.error,
    };
    return process_(message, context);
  };
}
