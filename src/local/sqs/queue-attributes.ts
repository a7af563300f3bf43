/**
 * Queue attributes: names, defaults, validation and the rules a queue's kind imposes
 * (API_SetQueueAttributes / API_GetQueueAttributes). Pure: no storage, no clock.
 */
import { sqsErrors } from "./errors.js";
import * as limits from "./limits.js";

/** Attributes a caller may set (on create, or later with SetQueueAttributes). */
const COMMON_SETTABLE = [
  "DelaySeconds",
  "MaximumMessageSize",
  "MessageRetentionPeriod",
  "Policy",
  "ReceiveMessageWaitTimeSeconds",
  "VisibilityTimeout",
  "RedrivePolicy",
  "RedriveAllowPolicy",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
  "SqsManagedSseEnabled",
] as const;
const FIFO_SETTABLE = ["ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"] as const;
/** Computed on read. */
const READ_ONLY = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
  "QueueArn",
] as const;

export const ALL_QUEUE_ATTRIBUTE_NAMES: readonly string[] = [...COMMON_SETTABLE, ...FIFO_SETTABLE, "FifoQueue", ...READ_ONLY];

export type QueueAttributes = Record<string, string>;

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export function defaultAttributes(fifo: boolean): QueueAttributes {
  const attributes: QueueAttributes = {
    DelaySeconds: "0",
    MaximumMessageSize: String(limits.DEFAULT_MAX_MESSAGE_SIZE),
    MessageRetentionPeriod: String(limits.DEFAULT_RETENTION_SECONDS),
    ReceiveMessageWaitTimeSeconds: "0",
    VisibilityTimeout: String(limits.DEFAULT_VISIBILITY_TIMEOUT_SECONDS),
    SqsManagedSseEnabled: "true",
  };
  if (fifo) {
    attributes.FifoQueue = "true";
    attributes.ContentBasedDeduplication = "false";
    attributes.DeduplicationScope = "queue";
    attributes.FifoThroughputLimit = "perQueue";
  }
  return attributes;
}

function integerIn(name: string, value: string, min: number, max: number): string {
  const trimmed = value.trim();
  if (!/^-?\d+$/.test(trimmed)) throw sqsErrors.invalidAttributeValue(`Invalid value for the parameter ${name}.`);
  const number = Number(trimmed);
  if (number < min || number > max) throw sqsErrors.invalidAttributeValue(`Invalid value for the parameter ${name}.`);
  return String(number);
}

function booleanValue(name: string, value: string): string {
  const lower = value.trim().toLowerCase();
  if (lower !== "true" && lower !== "false") throw sqsErrors.invalidAttributeValue(`Invalid value for the parameter ${name}.`);
  return lower;
}

function oneOf(name: string, value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) throw sqsErrors.invalidAttributeValue(`Invalid value for the parameter ${name}.`);
  return value;
}

/** Parses and normalises a RedrivePolicy; "" means "remove". */
export function parseRedrivePolicy(value: string): RedrivePolicy | undefined {
  if (value.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw sqsErrors.invalidAttributeValue("Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.");
  }
  if (typeof parsed !== "object" || parsed === null) {
    throw sqsErrors.invalidAttributeValue("Invalid value for the parameter RedrivePolicy. Reason: Redrive policy is not a valid JSON map.");
  }
  const record = parsed as Record<string, unknown>;
  const arn = record.deadLetterTargetArn;
  const count = Number(record.maxReceiveCount);
  if (typeof arn !== "string" || arn === "") {
    throw sqsErrors.invalidAttributeValue(
      "Value for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: deadLetterTargetArn.",
    );
  }
  if (record.maxReceiveCount === undefined) {
    throw sqsErrors.invalidAttributeValue(
      "Value for parameter RedrivePolicy is invalid. Reason: Redrive policy does not contain mandatory attribute: maxReceiveCount.",
    );
  }
  if (!Number.isInteger(count) || count < limits.MIN_MAX_RECEIVE_COUNT || count > limits.MAX_MAX_RECEIVE_COUNT) {
    throw sqsErrors.invalidAttributeValue(
      `Value ${JSON.stringify(record.maxReceiveCount)} for parameter RedrivePolicy is invalid. Reason: Invalid value for maxReceiveCount: ${JSON.stringify(record.maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`,
    );
  }
  return { deadLetterTargetArn: arn, maxReceiveCount: count };
}

export function redrivePolicyOf(attributes: QueueAttributes): RedrivePolicy | undefined {
  const value = attributes.RedrivePolicy;
  return value === undefined ? undefined : parseRedrivePolicy(value);
}

/**
 * Validates attributes a caller supplied and returns them normalised (as GetQueueAttributes would
 * print them). `creating` allows FifoQueue, which can only be set at creation.
 */
export function normalizeAttributes(input: Record<string, string | undefined>, fifo: boolean, creating: boolean): QueueAttributes {
  const out: QueueAttributes = {};
  for (const [name, raw] of Object.entries(input)) {
    if (raw === undefined) continue;
    const value = String(raw);
    switch (name) {
      case "DelaySeconds":
        out[name] = integerIn(name, value, 0, limits.MAX_DELAY_SECONDS);
        break;
      case "MaximumMessageSize":
        out[name] = integerIn(name, value, limits.MIN_MESSAGE_SIZE_LIMIT, limits.MAX_MESSAGE_SIZE_LIMIT);
        break;
      case "MessageRetentionPeriod":
        out[name] = integerIn(name, value, limits.MIN_RETENTION_SECONDS, limits.MAX_RETENTION_SECONDS);
        break;
      case "ReceiveMessageWaitTimeSeconds":
        out[name] = integerIn(name, value, 0, limits.MAX_WAIT_TIME_SECONDS);
        break;
      case "VisibilityTimeout":
        out[name] = integerIn(name, value, 0, limits.MAX_VISIBILITY_TIMEOUT_SECONDS);
        break;
      case "KmsDataKeyReusePeriodSeconds":
        out[name] = integerIn(name, value, limits.MIN_KMS_REUSE_SECONDS, limits.MAX_KMS_REUSE_SECONDS);
        break;
      case "SqsManagedSseEnabled":
        out[name] = booleanValue(name, value);
        break;
      case "Policy":
      case "RedriveAllowPolicy":
        if (value !== "") {
          try {
            JSON.parse(value);
          } catch {
            throw sqsErrors.invalidAttributeValue(`Invalid value for the parameter ${name}.`);
          }
        }
        out[name] = value;
        break;
      case "KmsMasterKeyId":
        out[name] = value;
        break;
      case "RedrivePolicy": {
        const policy = parseRedrivePolicy(value);
        out[name] = policy === undefined ? "" : JSON.stringify(policy);
        break;
      }
      case "FifoQueue":
        if (!creating) throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
        out[name] = booleanValue(name, value);
        if (out[name] === "false") delete out[name];
        break;
      case "ContentBasedDeduplication":
        if (!fifo) throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
        out[name] = booleanValue(name, value);
        break;
      case "DeduplicationScope":
        if (!fifo) throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
        out[name] = oneOf(name, value, ["queue", "messageGroup"]);
        break;
      case "FifoThroughputLimit":
        if (!fifo) throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
        out[name] = oneOf(name, value, ["perQueue", "perMessageGroupId"]);
        break;
      default:
        throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
    }
  }
  return out;
}

/** Merges normalised changes into stored attributes ("" removes optional policies, as SQS does). */
export function mergeAttributes(current: QueueAttributes, changes: QueueAttributes): QueueAttributes {
  const merged = { ...current, ...changes };
  for (const name of ["RedrivePolicy", "Policy", "RedriveAllowPolicy", "KmsMasterKeyId"]) {
    if (merged[name] === "") delete merged[name];
  }
  if (merged.FifoThroughputLimit === "perMessageGroupId" && merged.DeduplicationScope === "queue") {
    throw sqsErrors.invalidAttributeValue(
      "Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is only valid with DeduplicationScope messageGroup.",
    );
  }
  return merged;
}

/** The attribute names a GetQueueAttributes request asks for, validated; "All" expands. */
export function requestedQueueAttributes(names: readonly string[] | undefined, fifo: boolean): string[] {
  if (names === undefined || names.length === 0) return [];
  const wanted = new Set<string>();
  for (const name of names) {
    if (name === "All") {
      for (const known of ALL_QUEUE_ATTRIBUTE_NAMES) wanted.add(known);
    } else if (ALL_QUEUE_ATTRIBUTE_NAMES.includes(name)) {
      wanted.add(name);
    } else {
      throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
    }
  }
  if (!fifo) for (const name of [...FIFO_SETTABLE, "FifoQueue"]) wanted.delete(name);
  return [...wanted];
}

export function intAttribute(attributes: QueueAttributes, name: string, fallback: number): number {
  const value = attributes[name];
  return value === undefined ? fallback : Number(value);
}

export function isValidQueueName(name: string, fifo: boolean): boolean {
  if (name.length === 0 || name.length > limits.MAX_QUEUE_NAME_LENGTH) return false;
  const base = fifo ? name.slice(0, -limits.FIFO_SUFFIX.length) : name;
  if (fifo && !name.endsWith(limits.FIFO_SUFFIX)) return false;
  return /^[A-Za-z0-9_-]+$/.test(base);
}
