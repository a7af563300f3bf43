import { describe, expect, it } from "vitest";
import { decodeAwsChunked, splitContentEncoding } from "../../../src/local/s3/aws-chunked.js";
import { bucketNameProblem } from "../../../src/local/s3/bucket-name.js";
import { parseXml, childText, childrenNamed } from "../../../src/local/s3/xml.js";
import { escapeXml } from "../../../src/local/server/xml.js";
import { parseRange } from "../../../src/local/s3/rest/objects.js";
import { isAwsServiceError } from "../../../src/local/aws-error.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return isAwsServiceError(error) ? error.code : "not-an-aws-error";
  }
}

describe("aws-chunked decoding", () => {
  it("joins chunks and reads trailers (unsigned, as the SDK streams)", () => {
    const encoded = Buffer.from("5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n");
    const decoded = decodeAwsChunked(encoded);
    expect(decoded.body.toString()).toBe("hello world");
    expect(decoded.trailers.get("x-amz-checksum-crc32")).toBe("DUoRhQ==");
  });

  it("accepts chunk signatures (SigV4 streaming) and a missing final CRLF", () => {
    const encoded = Buffer.from(`3;chunk-signature=${"a".repeat(64)}\r\nabc\r\n0;chunk-signature=${"b".repeat(64)}\r\nx-amz-checksum-sha256:xyz`);
    const decoded = decodeAwsChunked(encoded);
    expect(decoded.body.toString()).toBe("abc");
    expect(decoded.trailers.get("x-amz-checksum-sha256")).toBe("xyz");
  });

  it("refuses truncated and malformed bodies", () => {
    expect(codeOf(() => decodeAwsChunked(Buffer.from("a\r\nshort")))).toBe("IncompleteBody");
    expect(codeOf(() => decodeAwsChunked(Buffer.from("zz\r\n")))).toBe("IncompleteBody");
    expect(codeOf(() => decodeAwsChunked(Buffer.from("3\r\nabcX\r\n0\r\n\r\n")))).toBe("IncompleteBody");
  });

  it("strips aws-chunked from Content-Encoding and keeps the rest", () => {
    expect(splitContentEncoding("aws-chunked")).toEqual({ chunked: true, rest: undefined });
    expect(splitContentEncoding("gzip,aws-chunked")).toEqual({ chunked: true, rest: "gzip" });
    expect(splitContentEncoding("gzip")).toEqual({ chunked: false, rest: "gzip" });
  });
});

describe("bucket names", () => {
  it.each(["my-bucket", "a.b.c", "abc", "a".repeat(63), "123bucket"])("accepts %s", (name) => {
    expect(bucketNameProblem(name)).toBeUndefined();
  });
  it.each([
    "ab",
    "a".repeat(64),
    "My-Bucket",
    "bucket_name",
    "-bucket",
    "bucket-",
    "a..b",
    "192.168.5.4",
    "xn--abc",
    "sthree-x",
    "name-s3alias",
    "x--ol-s3",
    "x.mrap",
    "../etc",
  ])("refuses %s", (name) => {
    expect(bucketNameProblem(name)).toBeDefined();
  });
});

describe("request XML", () => {
  it("reads nested elements, namespaces and entities", () => {
    const root = parseXml(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b &lt;c&gt; &#x1F4A5;</Key></Object><Object><Key>d</Key></Object><Quiet>true</Quiet></Delete>',
    );
    expect(root.name).toBe("Delete");
    expect(childrenNamed(root, "Object").map((o) => childText(o, "Key"))).toEqual(["a&b <c> 💥", "d"]);
    expect(childText(root, "Quiet")).toBe("true");
  });

  it("refuses malformed documents", () => {
    for (const bad of ["<a><b></a>", "<a>", "text", "<a></a><b></b>", "<a></a>trailing"]) {
      expect(codeOf(() => parseXml(bad))).toBe("MalformedXML");
    }
  });

  it("escapes what XML cannot carry literally", () => {
    expect(escapeXml(`<&>"'\u0001`)).toBe("&lt;&amp;&gt;&quot;&apos;&#x1;");
  });
});

describe("Range header", () => {
  it("parses the forms S3 supports", () => {
    expect(parseRange("bytes=0-4", 10)).toEqual({ start: 0, end: 4 });
    expect(parseRange("bytes=5-", 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange("bytes=-3", 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange("bytes=8-100", 10)).toEqual({ start: 8, end: 9 });
  });
  it("reports unsatisfiable ranges and ignores unparseable ones", () => {
    expect(parseRange("bytes=10-", 10)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-", 0)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,3-4", 10)).toBeUndefined();
    expect(parseRange("items=0-1", 10)).toBeUndefined();
    expect(parseRange("bytes=5-2", 10)).toBeUndefined();
  });
});
