import { describe, expect, it } from "vitest";
import { md5Hex, md5OfAttributes } from "../../../src/local/sqs/md5.js";

describe("SQS digests", () => {
  it("MD5OfMessageBody is the hex MD5 of the UTF-8 body", () => {
    expect(md5Hex(Buffer.from("hello", "utf8"))).toBe("5d41402abc4b2a76b9719d911017c592");
  });

  it("MD5OfMessageAttributes matches a published value for one String attribute", () => {
    // Published vector for SellerName=String:"Example Store".
    expect(md5OfAttributes({ SellerName: { DataType: "String", StringValue: "Example Store" } })).toBe("cd28f3b68aeee4b2eac9c66f2f694b58");
  });

  it("sorts attributes by name, so insertion order does not matter", () => {
    const a = md5OfAttributes({ b: { DataType: "String", StringValue: "2" }, a: { DataType: "Number", StringValue: "1" } });
    const b = md5OfAttributes({ a: { DataType: "Number", StringValue: "1" }, b: { DataType: "String", StringValue: "2" } });
    expect(a).toBe(b);
  });

  it("encodes Binary with transport byte 2 over the decoded bytes", () => {
    const expected = md5Hex(
      Buffer.concat([
        Buffer.from([0, 0, 0, 1]),
        Buffer.from("k"),
        Buffer.from([0, 0, 0, 6]),
        Buffer.from("Binary"),
        Buffer.from([2]),
        Buffer.from([0, 0, 0, 3]),
        Buffer.from([1, 2, 3]),
      ]),
    );
    expect(md5OfAttributes({ k: { DataType: "Binary", BinaryValue: Buffer.from([1, 2, 3]).toString("base64") } })).toBe(expected);
  });

  it("omits the digest when there are no attributes", () => {
    expect(md5OfAttributes(undefined)).toBeUndefined();
    expect(md5OfAttributes({})).toBeUndefined();
  });
});
