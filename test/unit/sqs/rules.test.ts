import { describe, expect, it } from "vitest";
import {
  checkBatchEntries,
  decodeReceiptHandle,
  encodeReceiptHandle,
  messageAttributeFilter,
  sequenceNumber,
  validateMessage,
} from "../../../src/local/sqs/message-rules.js";
import {
  defaultAttributes,
  mergeAttributes,
  normalizeAttributes,
  parseRedrivePolicy,
  requestedQueueAttributes,
  isValidQueueName,
} from "../../../src/local/sqs/queue-attributes.js";
import { parseParams, queryInput } from "../../../src/local/sqs/query-protocol.js";
import { escapeXml as xmlEscape } from "../../../src/local/server/xml.js";

const standard = { fifo: false, contentBasedDeduplication: false, maximumMessageSize: 1_048_576 };
const fifo = { fifo: true, contentBasedDeduplication: true, maximumMessageSize: 1_048_576 };

describe("message rules", () => {
  it("counts body and attribute names, types and values against MaximumMessageSize", () => {
    const small = { ...standard, maximumMessageSize: 1024 };
    const attributes = { k: { DataType: "String", StringValue: "v".repeat(10) } };
    // 1,024 bytes in all: body 1,007 + name 1 + type 6 + value 10.
    expect(validateMessage({ MessageBody: "x".repeat(1007), MessageAttributes: attributes }, small).size).toBe(1024);
    expect(() => validateMessage({ MessageBody: "x".repeat(1008), MessageAttributes: attributes }, small)).toThrow(/shorter than 1024/);
    // UTF-8 bytes, not characters.
    expect(() => validateMessage({ MessageBody: "é".repeat(513) }, small)).toThrow(/shorter/);
  });

  it("derives the content dedup id from the body only", () => {
    const a = validateMessage({ MessageBody: "same", MessageGroupId: "g" }, fifo);
    const b = validateMessage({ MessageBody: "same", MessageGroupId: "g", MessageAttributes: { x: { DataType: "String", StringValue: "1" } } }, fifo);
    expect(a.dedupId).toBe(b.dedupId);
    expect(a.dedupId).toBe("0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5");
    expect(validateMessage({ MessageBody: "same", MessageGroupId: "g", MessageDeduplicationId: "mine" }, fifo).dedupId).toBe("mine");
  });

  it("accepts the documented character ranges and refuses others", () => {
    expect(() => validateMessage({ MessageBody: "tab\tnl\ncr\r emoji \u{1F600} \uE000" }, standard)).not.toThrow();
    for (const bad of ["\u0000", "\u0008", "\uFFFE", "\uD800"])
      expect(() => validateMessage({ MessageBody: `a${bad}` }, standard)).toThrow(/Invalid characters/);
  });

  it("validates group and dedup ids", () => {
    expect(() => validateMessage({ MessageBody: "x", MessageGroupId: "g".repeat(129) }, fifo)).toThrow(/MessageGroupId/);
    expect(() => validateMessage({ MessageBody: "x", MessageGroupId: "with space" }, fifo)).toThrow(/MessageGroupId/);
    expect(() => validateMessage({ MessageBody: "x", MessageGroupId: "p!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" }, fifo)).not.toThrow();
  });

  it("checks batch entries", () => {
    expect(() => checkBatchEntries([], "E")).toThrow(expect.objectContaining({ code: "EmptyBatchRequest" }));
    expect(() =>
      checkBatchEntries(
        Array.from({ length: 11 }, (_, i) => ({ Id: `${i}` })),
        "E",
      ),
    ).toThrow(expect.objectContaining({ code: "TooManyEntriesInBatchRequest" }));
    expect(() => checkBatchEntries([{ Id: "a" }, { Id: "a" }], "E")).toThrow(expect.objectContaining({ code: "BatchEntryIdsNotDistinct" }));
    expect(() => checkBatchEntries([{ Id: "a".repeat(81) }], "E")).toThrow(expect.objectContaining({ code: "InvalidBatchEntryId" }));
  });

  it("round-trips receipt handles and refuses forged ones", () => {
    const handle = encodeReceiptHandle("q.fifo", 42, "0123456789abcdef01234567");
    expect(decodeReceiptHandle(handle)).toEqual({ queue: "q.fifo", seq: 42, token: "0123456789abcdef01234567" });
    expect(() => decodeReceiptHandle("junk")).toThrow(expect.objectContaining({ code: "ReceiptHandleIsInvalid", status: 404 }));
  });

  it("makes sequence numbers large, increasing and non-consecutive", () => {
    const a = BigInt(sequenceNumber(1));
    const b = BigInt(sequenceNumber(2));
    expect(b > a + 1n).toBe(true);
    expect(sequenceNumber(1)).toMatch(/^\d{20}$/);
  });

  it("selects message attributes by All, name and prefix", () => {
    expect(messageAttributeFilter(["All"])("x")).toBe(true);
    const f = messageAttributeFilter(["a", "b.*"]);
    expect([f("a"), f("b.c"), f("c"), f("ab")]).toEqual([true, true, false, false]);
    expect(messageAttributeFilter(undefined)("a")).toBe(false);
  });
});

describe("queue attributes", () => {
  it("defaults as SQS does", () => {
    expect(defaultAttributes(true)).toMatchObject({
      MaximumMessageSize: "1048576",
      VisibilityTimeout: "30",
      MessageRetentionPeriod: "345600",
      DeduplicationScope: "queue",
    });
  });

  it("validates ranges and kinds", () => {
    expect(normalizeAttributes({ DelaySeconds: "900" }, false, false)).toEqual({ DelaySeconds: "900" });
    expect(() => normalizeAttributes({ DelaySeconds: "901" }, false, false)).toThrow(expect.objectContaining({ code: "InvalidAttributeValue" }));
    expect(() => normalizeAttributes({ MaximumMessageSize: "1023" }, false, false)).toThrow(expect.objectContaining({ code: "InvalidAttributeValue" }));
    expect(() => normalizeAttributes({ FifoQueue: "true" }, true, false)).toThrow(expect.objectContaining({ code: "InvalidAttributeName" }));
    expect(() => normalizeAttributes({ DeduplicationScope: "messageGroup" }, false, true)).toThrow(expect.objectContaining({ code: "InvalidAttributeName" }));
    expect(() => mergeAttributes(defaultAttributes(true), { FifoThroughputLimit: "perMessageGroupId" })).toThrow(
      expect.objectContaining({ code: "InvalidAttributeValue" }),
    );
  });

  it("normalises redrive policies and rejects bad counts", () => {
    expect(parseRedrivePolicy('{"deadLetterTargetArn":"arn:aws:sqs:r:1:d","maxReceiveCount":"5"}')).toEqual({
      deadLetterTargetArn: "arn:aws:sqs:r:1:d",
      maxReceiveCount: 5,
    });
    expect(() => parseRedrivePolicy('{"deadLetterTargetArn":"a","maxReceiveCount":0}')).toThrow(/maxReceiveCount/);
    expect(() => parseRedrivePolicy("{nope")).toThrow(/JSON/);
  });

  it("expands All and refuses unknown names", () => {
    expect(requestedQueueAttributes(["All"], false)).not.toContain("FifoQueue");
    expect(requestedQueueAttributes(["All"], true)).toContain("FifoQueue");
    expect(() => requestedQueueAttributes(["Nope"], false)).toThrow(expect.objectContaining({ code: "InvalidAttributeName" }));
  });

  it("validates queue names", () => {
    expect(isValidQueueName("a".repeat(80), false)).toBe(true);
    expect(isValidQueueName("a".repeat(81), false)).toBe(false);
    expect(isValidQueueName(`${"a".repeat(75)}.fifo`, true)).toBe(true);
    expect(isValidQueueName("a.fifo", false)).toBe(false);
    expect(isValidQueueName("a", true)).toBe(false);
  });
});

describe("Query protocol decoding", () => {
  it("decodes flattened batch entries with nested message attributes in index order", () => {
    const tree = parseParams(
      new URLSearchParams(
        "SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one" +
          "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String",
      ).entries(),
    );
    const input = queryInput("SendMessageBatch", tree, "/000000000000/q") as { Entries: { Id: string; MessageBody: string; MessageAttributes?: unknown }[] };
    expect(input.Entries.map((e) => e.Id)).toEqual(["a", "b"]);
    expect(input.Entries[0]?.MessageAttributes).toEqual({ k: { DataType: "String", StringValue: "v", BinaryValue: undefined } });
  });

  it("keeps carriage returns through XML", () => {
    expect(xmlEscape("a\r\n<&>")).toBe("a&#xD;\n&lt;&amp;&gt;");
  });
});
