/**
 * The event Lambda's SQS poller hands a function: one record per message, every attribute value
 * a string, message attributes in camelCase with empty list fields, binary values in base64. The
 * shape is @types/aws-lambda's, as the handler (src/handler/sqs-event.ts) reads it.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (example events, standard and FIFO)
 */
import type * as sqs from "@aws-sdk/client-sqs";
import type { SQSMessageAttribute as SqsMessageAttribute, SQSRecord as SqsRecord } from "aws-lambda";

/** The order AWS's own example events list the system attributes in. */
const ATTRIBUTE_ORDER = [
  "ApproximateReceiveCount",
  "AWSTraceHeader",
  "SentTimestamp",
  "SequenceNumber",
  "MessageGroupId",
  "SenderId",
  "MessageDeduplicationId",
  "ApproximateFirstReceiveTimestamp",
  "DeadLetterQueueSourceArn",
];

function base64(value: Uint8Array | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" ? value : Buffer.from(value).toString("base64");
}

export function toRecord(message: sqs.Message, eventSourceArn: string, region: string): SqsRecord {
  const attributes: Record<string, string> = {};
  const given = (message.Attributes ?? {}) as Record<string, string | undefined>;
  for (const name of ATTRIBUTE_ORDER) {
    const value = given[name];
    if (value !== undefined) attributes[name] = value;
  }
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined && !(name in attributes)) attributes[name] = value;
  }
  const messageAttributes: Record<string, SqsMessageAttribute> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    const binary = base64(value.BinaryValue);
    messageAttributes[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(binary !== undefined ? { binaryValue: binary } : {}),
      stringListValues: value.StringListValues ?? [],
      binaryListValues: (value.BinaryListValues ?? []).map((item) => base64(item) ?? ""),
      dataType: value.DataType ?? "String",
    };
  }
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    // The poller receives with AttributeNames All: the attributes every record has are there.
    attributes: attributes as unknown as SqsRecord["attributes"],
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? "",
    ...(message.MD5OfMessageAttributes !== undefined ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: "aws:sqs",
    eventSourceARN: eventSourceArn,
    awsRegion: region,
  };
}
