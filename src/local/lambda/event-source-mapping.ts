/**
 * The SQS poller behind one event source mapping. Concurrency is a number of poll-invoke-delete
 * loops; FIFO order needs nothing more from here because SQS itself never hands out a message
 * of a group while an earlier one is in flight, and a loop deletes a batch only after its
 * invocation ended. Failed messages are left alone: they reappear after the queue's visibility
 * timeout and the queue's redrive policy moves them to the DLQ after maxReceiveCount receives.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
import type * as sqs from "@aws-sdk/client-sqs";
import { abortableDelay } from "../../shared/delay.js";
import { isAwsServiceError } from "../aws-error.js";
import type { LocalLogger } from "../context.js";
import type { InvokeOutcome, SqsApi } from "../contracts.js";
import { judgeBatch } from "./batch-result.js";
import { toRecord } from "./sqs-event.js";
import type { MappingRecord } from "./store.js";
import {
  MAPPING_ERROR_BACKOFF_MS,
  SQS_MAX_WAIT_SECONDS,
  SQS_RECEIVE_MAX,
  MAX_SYNC_PAYLOAD_BYTES,
  SQS_THROTTLE_BACKOFF_MS,
  SQS_THROTTLE_MAX_ATTEMPTS,
} from "./limits.js";

export interface PollerDeps {
  sqs: SqsApi;
  region: string;
  log: LocalLogger;
  /** Invokes and waits for a free execution environment; throws AwsServiceError when the function is missing. */
  invoke(functionName: string, eventJson: string): Promise<InvokeOutcome>;
  /** How many environments the function may use (its reserved concurrency, capped locally); undefined when the function does not exist. */
  functionConcurrency(functionName: string): number | undefined;
  /** LastProcessingResult, as GetEventSourceMapping reports it. */
  reportResult(uuid: string, result: string): void;
}

export function isFifoArn(arn: string): boolean {
  return arn.endsWith(".fifo");
}

/** SQS's answer to a call above a FIFO queue's throughput quota. */
function isThrottled(error: unknown): boolean {
  return isAwsServiceError(error) && error.code === "RequestThrottled";
}

export class SqsPoller {
  private readonly controller = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(
    readonly mapping: MappingRecord,
    private readonly deps: PollerDeps,
  ) {}

  /** Poll loops to run: MaximumConcurrency, bounded by what the function may use (0 when it may not run at all). */
  get concurrency(): number {
    const functionLimit = this.deps.functionConcurrency(this.mapping.functionName) ?? 1;
    return Math.min(this.mapping.maximumConcurrency ?? functionLimit, functionLimit);
  }

  start(): void {
    const count = this.concurrency;
    // Reserved concurrency 0 throttles every invocation: receiving would only burn receive counts
    // and push messages towards the DLQ, so the mapping does not poll until it changes.
    if (count === 0) this.deps.reportResult(this.mapping.uuid, "PROBLEM: Function call failed because the function's reserved concurrency is 0.");
    for (let index = 0; index < count; index++) this.loops.push(this.loop());
  }

  /** Stops polling; in-flight batches finish (and are deleted if they succeeded) before it resolves. */
  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      try {
        const worked = await this.pollOnce(signal);
        if (worked === "backoff") await abortableDelay(MAPPING_ERROR_BACKOFF_MS, signal);
        if (worked === "throttled") await abortableDelay(SQS_THROTTLE_BACKOFF_MS, signal);
      } catch (error) {
        this.deps.log.log("warn", "event source mapping poll failed", { uuid: this.mapping.uuid, error: String(error) });
        this.deps.reportResult(this.mapping.uuid, `PROBLEM: ${(error as Error).message ?? String(error)}`);
        await abortableDelay(MAPPING_ERROR_BACKOFF_MS, signal);
      }
    }
  }

  private async pollOnce(signal: AbortSignal): Promise<"ok" | "backoff" | "throttled"> {
    const queueUrl = this.deps.sqs.queueUrlFromArn(this.mapping.eventSourceArn);
    if (queueUrl === undefined) {
      this.deps.reportResult(this.mapping.uuid, "PROBLEM: The event source queue does not exist.");
      return "backoff";
    }
    // A message received for a function that cannot run would only come back with a higher
    // receive count: check before receiving, not after.
    if (this.deps.functionConcurrency(this.mapping.functionName) === undefined) {
      this.deps.reportResult(this.mapping.uuid, "PROBLEM: Function not found.");
      return "backoff";
    }
    let messages: sqs.Message[];
    try {
      messages = await this.gather(queueUrl, signal);
    } catch (error) {
      // A throttled receive took nothing: poll again shortly, as Lambda's pollers do (not a PROBLEM).
      if (isThrottled(error)) return "throttled";
      throw error;
    }
    if (messages.length === 0) return "ok";
    const eventJson = JSON.stringify({ Records: messages.map((message) => toRecord(message, this.mapping.eventSourceArn, this.deps.region)) });
    let outcome: InvokeOutcome;
    try {
      outcome = await this.deps.invoke(this.mapping.functionName, eventJson);
    } catch (error) {
      // The function is gone or throttled: the batch returns to the queue after its visibility timeout.
      this.deps.reportResult(this.mapping.uuid, `PROBLEM: ${(error as Error).message}`);
      return "backoff";
    }
    const verdict = judgeBatch(
      messages.map((m) => ({ messageId: m.MessageId ?? "", groupId: m.Attributes?.MessageGroupId })),
      outcome,
      { reportBatchItemFailures: this.mapping.functionResponseTypes.includes("ReportBatchItemFailures"), fifo: isFifoArn(this.mapping.eventSourceArn) },
    );
    if (verdict.kind === "failure") {
      this.deps.reportResult(this.mapping.uuid, "PROBLEM: Function call failed");
      this.deps.log.log("debug", "batch failed; messages return after the visibility timeout", { uuid: this.mapping.uuid, reason: verdict.reason });
      return "ok";
    }
    this.deps.reportResult(this.mapping.uuid, "OK");
    await this.deleteMessages(queueUrl, messages, new Set(verdict.delete));
    return "ok";
  }

  /**
   * One receive, or for a standard queue with a batching window, receives until the batch is
   * full, the window has passed, or the payload would exceed what one invocation may carry.
   */
  private async gather(queueUrl: string, signal: AbortSignal): Promise<sqs.Message[]> {
    const { batchSize, maximumBatchingWindowInSeconds: window } = this.mapping;
    const receive = (max: number, wait: number) =>
      this.deps.sqs.receiveMessage(
        {
          QueueUrl: queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: wait,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        },
        signal,
      );
    const first = (await receive(Math.min(SQS_RECEIVE_MAX, batchSize), SQS_MAX_WAIT_SECONDS)).Messages ?? [];
    if (first.length === 0 || window === 0 || first.length >= batchSize || isFifoArn(this.mapping.eventSourceArn)) return first;
    const batch = [...first];
    let bytes = batch.reduce((sum, m) => sum + Buffer.byteLength(m.Body ?? ""), 0);
    const deadline = Date.now() + window * 1000;
    while (batch.length < batchSize && !signal.aborted) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const more =
        (await receive(Math.min(SQS_RECEIVE_MAX, batchSize - batch.length), Math.min(SQS_MAX_WAIT_SECONDS, Math.floor(remaining / 1000)))).Messages ?? [];
      for (const message of more) {
        batch.push(message);
        bytes += Buffer.byteLength(message.Body ?? "");
      }
      if (bytes > MAX_SYNC_PAYLOAD_BYTES / 2) break;
    }
    return batch;
  }

  private async deleteMessages(queueUrl: string, messages: sqs.Message[], ids: Set<string>): Promise<void> {
    const entries = messages.filter((m) => ids.has(m.MessageId ?? "")).map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle ?? "" }));
    for (let start = 0; start < entries.length; start += SQS_RECEIVE_MAX) {
      try {
        const result = await this.deleteBatch(queueUrl, entries.slice(start, start + SQS_RECEIVE_MAX));
        if (result.Failed && result.Failed.length > 0) {
          this.deps.log.log("warn", "could not delete processed messages (visibility timeout shorter than the invocation?)", {
            uuid: this.mapping.uuid,
            failed: result.Failed.length,
          });
        }
      } catch (error) {
        this.deps.log.log("warn", "could not delete processed messages", { uuid: this.mapping.uuid, error: String(error) });
      }
    }
  }

  /**
   * One DeleteMessageBatch, retried with doubling waits while SQS throttles it: a processed batch
   * that is not deleted would be delivered again after its visibility timeout. The waits are not
   * cut short by stop(): in-flight batches still get deleted when the mapping stops.
   */
  private async deleteBatch(queueUrl: string, entries: sqs.DeleteMessageBatchRequestEntry[]): Promise<sqs.DeleteMessageBatchResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.deps.sqs.deleteMessageBatch({ QueueUrl: queueUrl, Entries: entries });
      } catch (error) {
        if (!isThrottled(error) || attempt >= SQS_THROTTLE_MAX_ATTEMPTS) throw error;
        await abortableDelay(SQS_THROTTLE_BACKOFF_MS * 2 ** (attempt - 1), undefined);
      }
    }
  }
}
