/**
 * Message rules of SQS, pure: body and attribute validation, size accounting, FIFO ids,
 * batch entry checks, receipt handles, sequence numbers, attribute selection on receive.
 * Sources: API_SendMessage, API_SendMessageBatch, API_MessageAttributeValue, API_ReceiveMessage,
 * and the SQS guide on message attributes.
 */
import { randomBytes } from "node:crypto";
import type * as sqs from "@aws-sdk/client-sqs";
import { sqsErrors } from "./errors.js";
import * as limits from "./limits.js";
import { isBinaryType, md5Hex, md5OfAttributes, sha256Hex, type StoredAttributes } from "./md5.js";

export interface ValidatedMessage {
  body: string;
  attributes: StoredAttributes | undefined;
  systemAttributes: StoredAttributes | undefined;
  md5OfBody: string;
  md5OfAttributes: string | undefined;
  md5OfSystemAttributes: string | undefined;
  delaySeconds: number | undefined;
  groupId: string | undefined;
  /** Explicit, or for content-based deduplication the SHA-256 of the body. */
  dedupId: string | undefined;
  /** Bytes counted against MaximumMessageSize: body plus attribute names, types and values. */
  size: number;
}

export interface QueueKind {
  fifo: boolean;
  contentBasedDeduplication: boolean;
  maximumMessageSize: number;
}

/**
 * Allowed body characters (API_SendMessage): #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD |
 * #x10000-#x10FFFF. A lone surrogate is not a character, so it is refused too.
 */
// eslint-disable-next-line no-control-regex
const INVALID_BODY_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Alphanumerics and punctuation !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ (MessageGroupId, MessageDeduplicationId). */
const FIFO_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]+$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]+$/;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]+$/;
/** Number attributes: up to 38 significant digits, between -10^128 and 10^126. */
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function checkBody(body: string | undefined): string {
  if (body === undefined || body === null) throw sqsErrors.missingParameter("MessageBody");
  if (body.length === 0) throw sqsErrors.missingParameter("MessageBody");
  if (INVALID_BODY_CHARACTER.test(body)) {
    throw sqsErrors.invalidMessageContents(
      "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
    );
  }
  return body;
}

function toBase64(value: Uint8Array | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  return Buffer.from(value).toString("base64");
}

/** Validates message attributes (user or system) and returns them in stored form plus their byte size. */
export function checkMessageAttributes(
  input: Record<string, sqs.MessageAttributeValue | sqs.MessageSystemAttributeValue> | undefined,
  kind: "user" | "system",
): { attributes: StoredAttributes | undefined; size: number } {
  if (input === undefined) return { attributes: undefined, size: 0 };
  const names = Object.keys(input);
  if (names.length === 0) return { attributes: undefined, size: 0 };
  if (kind === "user" && names.length > limits.MAX_MESSAGE_ATTRIBUTES) {
    throw sqsErrors.invalidParameterValue(`Number of message attributes [${names.length}] exceeds the allowed maximum [${limits.MAX_MESSAGE_ATTRIBUTES}].`);
  }
  const attributes: StoredAttributes = {};
  let size = 0;
  for (const name of names) {
    const value = input[name] as sqs.MessageAttributeValue;
    if (kind === "system") {
      if (name !== "AWSTraceHeader") throw sqsErrors.invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
      if (value.DataType !== "String") throw sqsErrors.invalidParameterValue(`Message system attribute '${name}' must be of type String.`);
    } else {
      if (name.length > limits.MAX_ATTRIBUTE_NAME_LENGTH || !ATTRIBUTE_NAME.test(name) || name.startsWith(".") || name.endsWith(".") || name.includes("..")) {
        throw sqsErrors.invalidParameterValue(`Message (user) attribute name '${name}' is invalid.`);
      }
      if (/^(aws\.|amazon\.)/i.test(name)) throw sqsErrors.invalidParameterValue(`Message (user) attribute name '${name}' is reserved for use by SQS.`);
    }
    const dataType = value?.DataType;
    if (dataType === undefined || dataType === "") {
      throw sqsErrors.invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute type.`);
    }
    const baseType = dataType.split(".", 1)[0];
    if (dataType.length > limits.MAX_ATTRIBUTE_TYPE_LENGTH || (baseType !== "String" && baseType !== "Number" && baseType !== "Binary")) {
      throw sqsErrors.invalidParameterValue(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    if (value.StringListValues?.length || value.BinaryListValues?.length) {
      throw sqsErrors.invalidParameterValue(`Message (user) attribute '${name}': list values are not supported.`);
    }
    size += Buffer.byteLength(name, "utf8") + Buffer.byteLength(dataType, "utf8");
    if (isBinaryType(dataType)) {
      const binary = toBase64(value.BinaryValue);
      if (binary === undefined || Buffer.from(binary, "base64").length === 0) {
        throw sqsErrors.invalidParameterValue(`Message (user) attribute '${name}' must contain a non-empty value of type 'Binary'.`);
      }
      size += Buffer.from(binary, "base64").length;
      attributes[name] = { DataType: dataType, BinaryValue: binary };
    } else {
      const text = value.StringValue;
      if (text === undefined || text === "") {
        throw sqsErrors.invalidParameterValue(`Message (user) attribute '${name}' must contain a non-empty value of type '${baseType}'.`);
      }
      if (baseType === "Number" && (!NUMBER.test(text.trim()) || text.replace(/[^0-9]/g, "").replace(/^0+/, "").length > 38)) {
        throw sqsErrors.invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      if (INVALID_BODY_CHARACTER.test(text)) throw sqsErrors.invalidMessageContents(`Message (user) attribute '${name}' contains invalid characters.`);
      size += Buffer.byteLength(text, "utf8");
      attributes[name] = { DataType: dataType, StringValue: text };
    }
  }
  return { attributes, size };
}

function checkFifoId(parameter: string, value: string, max: number): string {
  if (value.length === 0 || value.length > max || !FIFO_ID.test(value)) {
    throw sqsErrors.invalidParameterValue(
      `Value ${value} for parameter ${parameter} is invalid. Reason: ${parameter} can only include alphanumeric and punctuation characters. 1 to ${max} in length.`,
    );
  }
  return value;
}

function notForThisQueueType(parameter: string, value: unknown): never {
  throw sqsErrors.invalidParameterValue(
    `Value ${String(value)} for parameter ${parameter} is invalid. Reason: The request include parameter that is not valid for this queue type.`,
  );
}

/** The message fields of SendMessage and of a SendMessageBatch entry. */
export type MessageInput = Pick<
  sqs.SendMessageRequest,
  "MessageBody" | "DelaySeconds" | "MessageAttributes" | "MessageSystemAttributes" | "MessageDeduplicationId" | "MessageGroupId"
>;

/** All send rules of one message (SendMessage, or one SendMessageBatch entry). */
export function validateMessage(input: MessageInput, queue: QueueKind): ValidatedMessage {
  const body = checkBody(input.MessageBody);
  const user = checkMessageAttributes(input.MessageAttributes, "user");
  const system = checkMessageAttributes(input.MessageSystemAttributes, "system");
  const size = Buffer.byteLength(body, "utf8") + user.size;
  if (size > queue.maximumMessageSize) {
    throw sqsErrors.invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${queue.maximumMessageSize} bytes.`);
  }
  let delaySeconds: number | undefined;
  if (input.DelaySeconds !== undefined && input.DelaySeconds !== null) {
    const delay = Number(input.DelaySeconds);
    if (!Number.isInteger(delay) || delay < 0 || delay > limits.MAX_DELAY_SECONDS) {
      throw sqsErrors.invalidParameterValue(
        `Value ${String(input.DelaySeconds)} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`,
      );
    }
    // FIFO queues only know the queue-level delay (FIFO key terms).
    if (queue.fifo) notForThisQueueType("DelaySeconds", input.DelaySeconds);
    delaySeconds = delay;
  }
  let groupId: string | undefined;
  let dedupId: string | undefined;
  if (input.MessageGroupId !== undefined) groupId = checkFifoId("MessageGroupId", input.MessageGroupId, limits.MAX_GROUP_ID_LENGTH);
  if (queue.fifo) {
    if (groupId === undefined) throw sqsErrors.missingParameter("MessageGroupId");
    if (input.MessageDeduplicationId !== undefined) {
      dedupId = checkFifoId("MessageDeduplicationId", input.MessageDeduplicationId, limits.MAX_DEDUP_ID_LENGTH);
    } else if (queue.contentBasedDeduplication) {
      // Content-based deduplication hashes the body only, not the attributes (FIFO key terms).
      dedupId = sha256Hex(body);
    } else {
      throw sqsErrors.invalidParameterValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly");
    }
  } else if (input.MessageDeduplicationId !== undefined) {
    notForThisQueueType("MessageDeduplicationId", input.MessageDeduplicationId);
  }
  return {
    body,
    attributes: user.attributes,
    systemAttributes: system.attributes,
    md5OfBody: md5Hex(Buffer.from(body, "utf8")),
    md5OfAttributes: md5OfAttributes(user.attributes),
    md5OfSystemAttributes: md5OfAttributes(system.attributes),
    delaySeconds,
    groupId,
    dedupId,
    size,
  };
}

/** Shared checks of every *Batch request: 1-10 entries, distinct well-formed ids. */
export function checkBatchEntries(entries: readonly { Id?: string }[] | undefined, entryName: string): void {
  if (entries === undefined || entries.length === 0) throw sqsErrors.emptyBatchRequest("There should be at least one " + entryName + " in the request.");
  if (entries.length > limits.MAX_BATCH_ENTRIES) {
    throw sqsErrors.tooManyEntriesInBatchRequest(`Maximum number of entries per request are ${limits.MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`);
  }
  const seen = new Set<string>();
  for (const entry of entries) {
    const id = entry.Id;
    if (id === undefined || id.length === 0 || id.length > limits.MAX_BATCH_ENTRY_ID_LENGTH || !BATCH_ENTRY_ID.test(id)) {
      throw sqsErrors.invalidBatchEntryId(
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
      );
    }
    if (seen.has(id)) throw sqsErrors.batchEntryIdsNotDistinct(`Id ${id} repeated.`);
    seen.add(id);
  }
}

// ------------------------------------------------------------------ receipt handles
const RECEIPT_PREFIX = "wsq1";

export function newReceiptToken(): string {
  return randomBytes(12).toString("hex");
}

/** Opaque to clients; names the queue, the stored message and the receive that produced it. */
export function encodeReceiptHandle(queue: string, seq: number, token: string): string {
  return Buffer.from(`${RECEIPT_PREFIX}:${queue}:${seq}:${token}`, "utf8").toString("base64");
}

export function decodeReceiptHandle(handle: string | undefined): { queue: string; seq: number; token: string } {
  if (handle === undefined || handle === "") throw sqsErrors.missingParameter("ReceiptHandle");
  const parts = Buffer.from(handle, "base64").toString("utf8").split(":");
  const seq = Number(parts[2]);
  if (parts.length !== 4 || parts[0] !== RECEIPT_PREFIX || !Number.isSafeInteger(seq) || !/^[0-9a-f]{24}$/.test(parts[3] ?? "")) {
    throw sqsErrors.receiptHandleIsInvalid(`The input receipt handle "${handle}" is not a valid receipt handle.`);
  }
  return { queue: parts[1] as string, seq, token: parts[3] as string };
}

/**
 * FIFO SequenceNumber: a large, increasing, non-consecutive decimal string (AWS shows
 * 20-digit values such as 18849496460467696128). Derived from the store's monotonic row id.
 */
const SEQUENCE_BASE = 18_000_000_000_000_000_000n;
const SEQUENCE_STRIDE = 65_537n;
export function sequenceNumber(seq: number): string {
  return (SEQUENCE_BASE + BigInt(seq) * SEQUENCE_STRIDE).toString();
}

// ------------------------------------------------------------------ receive selection
export const SYSTEM_ATTRIBUTE_NAMES = [
  "SenderId",
  "SentTimestamp",
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "SequenceNumber",
  "MessageDeduplicationId",
  "MessageGroupId",
  "AWSTraceHeader",
  "DeadLetterQueueSourceArn",
] as const;

/** Which system attributes a receive returns ("All" or names; unknown names are ignored, as SQS does). */
export function selectSystemAttributes(...lists: (readonly string[] | undefined)[]): Set<string> {
  const wanted = new Set<string>();
  for (const list of lists) {
    for (const name of list ?? []) {
      if (name === "All") for (const known of SYSTEM_ATTRIBUTE_NAMES) wanted.add(known);
      else wanted.add(name);
    }
  }
  return wanted;
}

/** MessageAttributeNames: "All", ".*", exact names, or prefixes such as "bar.*". */
export function messageAttributeFilter(names: readonly string[] | undefined): (name: string) => boolean {
  if (names === undefined || names.length === 0) return () => false;
  if (names.some((n) => n === "All" || n === ".*")) return () => true;
  const exact = new Set(names.filter((n) => !n.endsWith(".*")));
  const prefixes = names.filter((n) => n.endsWith(".*")).map((n) => n.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p));
}

export function checkIntegerParameter(name: string, value: unknown, min: number, max: number, reason: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw sqsErrors.invalidParameterValue(
      `Value ${typeof value === "string" || typeof value === "number" ? String(value) : JSON.stringify(value)} for parameter ${name} is invalid. Reason: ${reason}`,
    );
  }
  return number;
}
