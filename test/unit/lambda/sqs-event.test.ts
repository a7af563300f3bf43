import { describe, expect, it } from "vitest";
import { toRecord } from "../../../src/local/lambda/sqs-event.js";

describe("toRecord (the SQS event Lambda hands a function)", () => {
  it("shapes a FIFO message as AWS's example event does", () => {
    const record = toRecord(
      {
        MessageId: "m-1",
        ReceiptHandle: "rh",
        Body: "hello",
        MD5OfBody: "5d41402abc4b2a76b9719d911017c592",
        Attributes: {
          SenderId: "AIDA",
          MessageGroupId: "g",
          ApproximateFirstReceiveTimestamp: "2",
          ApproximateReceiveCount: "1",
          SentTimestamp: "1",
          SequenceNumber: "18849496460467696128",
          MessageDeduplicationId: "d",
        },
        MessageAttributes: {
          connectionId: { DataType: "String", StringValue: "abc=" },
          raw: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
        },
        MD5OfMessageAttributes: "ffff",
      },
      "arn:aws:sqs:us-east-1:000000000000:q.fifo",
      "us-east-1",
    );
    expect(record).toEqual({
      messageId: "m-1",
      receiptHandle: "rh",
      body: "hello",
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: "1",
        SequenceNumber: "18849496460467696128",
        MessageGroupId: "g",
        SenderId: "AIDA",
        MessageDeduplicationId: "d",
        ApproximateFirstReceiveTimestamp: "2",
      },
      messageAttributes: {
        connectionId: { stringValue: "abc=", stringListValues: [], binaryListValues: [], dataType: "String" },
        raw: { binaryValue: "AQID", stringListValues: [], binaryListValues: [], dataType: "Binary" },
      },
      md5OfBody: "5d41402abc4b2a76b9719d911017c592",
      md5OfMessageAttributes: "ffff",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q.fifo",
      awsRegion: "us-east-1",
    });
    // AWS's example lists the attributes in this order; JSON consumers that print them see the same.
    expect(Object.keys(record.attributes)).toEqual([
      "ApproximateReceiveCount",
      "SentTimestamp",
      "SequenceNumber",
      "MessageGroupId",
      "SenderId",
      "MessageDeduplicationId",
      "ApproximateFirstReceiveTimestamp",
    ]);
  });
});
