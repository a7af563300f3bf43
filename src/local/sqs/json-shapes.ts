/**
 * Member types of SQS's JSON 1.0 inputs. The Query protocol can only carry strings, so the service
 * converts; JSON can carry any type, and a list where a string belongs must be refused at the edge
 * (as AWS's JSON front end refuses it) instead of reaching the service. SQS member names mean the
 * same type in every action, so one table serves all of them.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html
 */
import { AwsServiceError } from "../aws-error.js";

type Shape = "string" | "integer" | "boolean" | "stringList" | "stringMap" | "entries" | "attributeValues" | "blob";

const MEMBERS: Record<string, Shape> = {
  QueueUrl: "string",
  QueueName: "string",
  QueueNamePrefix: "string",
  QueueOwnerAWSAccountId: "string",
  NextToken: "string",
  MaxResults: "integer",
  MessageBody: "string",
  MessageGroupId: "string",
  MessageDeduplicationId: "string",
  ReceiptHandle: "string",
  ReceiveRequestAttemptId: "string",
  Id: "string",
  DelaySeconds: "integer",
  MaxNumberOfMessages: "integer",
  WaitTimeSeconds: "integer",
  VisibilityTimeout: "integer",
  Attributes: "stringMap",
  Tags: "stringMap",
  tags: "stringMap",
  AttributeNames: "stringList",
  MessageAttributeNames: "stringList",
  MessageSystemAttributeNames: "stringList",
  TagKeys: "stringList",
  Entries: "entries",
  MessageAttributes: "attributeValues",
  MessageSystemAttributes: "attributeValues",
  SourceArn: "string",
  DestinationArn: "string",
  MaxNumberOfMessagesPerSecond: "integer",
  TaskHandle: "string",
};

const ATTRIBUTE_VALUE_MEMBERS: Record<string, Shape> = {
  DataType: "string",
  StringValue: "string",
  BinaryValue: "blob",
  StringListValues: "stringList",
  BinaryListValues: "stringList",
};

function refuse(path: string, expected: string): never {
  throw new AwsServiceError("SerializationException", `Value at '${path}' must be ${expected}.`, { status: 400, queryCode: "MalformedInput" });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkValue(value: unknown, shape: Shape, path: string): void {
  if (value === null || value === undefined) return;
  switch (shape) {
    case "string":
    case "blob":
      if (typeof value !== "string") refuse(path, "a string");
      return;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) refuse(path, "an integer");
      return;
    case "boolean":
      if (typeof value !== "boolean") refuse(path, "a boolean");
      return;
    case "stringList":
      if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) refuse(path, "a list of strings");
      return;
    case "stringMap":
      if (!isRecord(value) || Object.values(value).some((item) => typeof item !== "string")) refuse(path, "a map of strings to strings");
      return;
    case "entries":
      if (!Array.isArray(value)) refuse(path, "a list of entries");
      value.forEach((entry, index) => {
        if (!isRecord(entry)) refuse(`${path}.${index + 1}`, "an object");
        checkMembers(entry, MEMBERS, `${path}.${index + 1}`);
      });
      return;
    case "attributeValues":
      if (!isRecord(value)) refuse(path, "a map of attribute values");
      for (const [name, attribute] of Object.entries(value)) {
        if (!isRecord(attribute)) refuse(`${path}.${name}`, "an attribute value object");
        checkMembers(attribute, ATTRIBUTE_VALUE_MEMBERS, `${path}.${name}`);
      }
      return;
  }
}

function checkMembers(input: Record<string, unknown>, table: Record<string, Shape>, prefix: string): void {
  for (const [name, value] of Object.entries(input)) {
    const shape = table[name];
    if (shape !== undefined) checkValue(value, shape, prefix === "" ? name : `${prefix}.${name}`);
  }
}

/** Throws SerializationException when a known member has the wrong JSON type. */
export function checkJsonInput(input: Record<string, unknown>): void {
  checkMembers(input, MEMBERS, "");
}

/**
 * A structure member sent as JSON `null` is absent, as AWS's JSON protocols read it (and as the
 * SDKs never send it): removed here, at any depth, so the service sees only members that are there.
 */
export function withoutNullMembers<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => withoutNullMembers(item)) as T;
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(value)) if (member !== null) out[name] = withoutNullMembers(member);
  return out as T;
}
