/**
 * What a finished invocation means for the messages of its batch: which the mapping deletes,
 * and which it leaves to reappear after the visibility timeout.
 *
 * ReportBatchItemFailures (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
 *  - success: a null or empty response, or a null or empty `batchItemFailures` list;
 *  - complete failure: a response that is not a JSON object of that shape, an `itemIdentifier`
 *    that is null, empty, missing (a wrongly named key) or not a message id of the batch;
 *  - otherwise the listed messages failed and the rest succeeded.
 * FIFO: order within a group must hold, so nothing after a group's first failed message may be
 * deleted either: it is retried after the failed one (AWS tells FIFO handlers to stop at the
 * first failure and report the rest; the mapping enforces it so a handler that does not cannot
 * reorder a group).
 */
import type { InvokeOutcome } from "../contracts.js";

export interface BatchMessage {
  messageId: string;
  groupId: string | undefined;
}

export type BatchVerdict = { kind: "success"; delete: string[] } | { kind: "partial"; delete: string[]; retry: string[] } | { kind: "failure"; reason: string };

export function judgeBatch(messages: BatchMessage[], outcome: InvokeOutcome, options: { reportBatchItemFailures: boolean; fifo: boolean }): BatchVerdict {
  if (outcome.functionError !== undefined) return { kind: "failure", reason: `function error: ${outcome.error?.errorType ?? "Unhandled"}` };
  const all = messages.map((m) => m.messageId);
  if (!options.reportBatchItemFailures) return { kind: "success", delete: all };
  const failed = failedIdentifiers(outcome.payload, new Set(all));
  if (typeof failed === "string") return { kind: "failure", reason: failed };
  if (failed.size === 0) return { kind: "success", delete: all };
  const retry = new Set(failed);
  if (options.fifo) {
    const stoppedGroups = new Set<string | undefined>();
    for (const message of messages) {
      if (stoppedGroups.has(message.groupId)) retry.add(message.messageId);
      else if (failed.has(message.messageId)) stoppedGroups.add(message.groupId);
    }
  }
  return { kind: "partial", delete: all.filter((id) => !retry.has(id)), retry: all.filter((id) => retry.has(id)) };
}

/** The failed message ids, or why the response fails the whole batch. */
function failedIdentifiers(payload: unknown, known: Set<string>): Set<string> | string {
  if (payload === undefined || payload === null) return new Set();
  if (typeof payload !== "object" || Array.isArray(payload)) return "the response is not a JSON object";
  const list = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === undefined || list === null) return new Set();
  if (!Array.isArray(list)) return "batchItemFailures is not a list";
  const failed = new Set<string>();
  for (const item of list as unknown[]) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return "a batchItemFailures entry is not an object";
    const identifier = (item as { itemIdentifier?: unknown }).itemIdentifier;
    if (identifier === undefined || identifier === null) return "a batchItemFailures entry has no itemIdentifier";
    if (typeof identifier !== "string" || identifier === "") return "an itemIdentifier is empty or not a string";
    if (!known.has(identifier)) return `itemIdentifier ${identifier} is not a message of the batch`;
    failed.add(identifier);
  }
  return failed;
}
