/**
 * The digests SQS returns and clients verify. MD5OfMessageBody is the hex MD5 of the UTF-8 body
 * (the SDK rejects a reply whose digest differs). MD5OfMessageAttributes follows the documented
 * encoding (SQS guide, "Calculating the MD5 message digest for message attributes"): attributes
 * sorted by name, each as length-prefixed name, length-prefixed data type, one transport byte
 * (1 = String/Number, 2 = Binary) and the length-prefixed value; lengths are 4-byte big-endian.
 */
import { createHash } from "node:crypto";

export interface StoredAttributeValue {
  DataType: string;
  StringValue?: string;
  /** Base64, as the JSON protocol carries it. */
  BinaryValue?: string;
}
export type StoredAttributes = Record<string, StoredAttributeValue>;

const TRANSPORT_STRING = 1;
const TRANSPORT_BINARY = 2;

export function md5Hex(data: string | Buffer): string {
  return createHash("md5").update(data).digest("hex");
}

export function sha256Hex(data: string): string {
  return createHash("sha256").update(data, "utf8").digest("hex");
}

function lengthPrefixed(bytes: Buffer): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length, 0);
  return [length, bytes];
}

export function isBinaryType(dataType: string): boolean {
  return dataType === "Binary" || dataType.startsWith("Binary.");
}

/** undefined when there are no attributes: SQS then omits the field. */
export function md5OfAttributes(attributes: StoredAttributes | undefined): string | undefined {
  if (attributes === undefined) return undefined;
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const value = attributes[name] as StoredAttributeValue;
    parts.push(...lengthPrefixed(Buffer.from(name, "utf8")));
    parts.push(...lengthPrefixed(Buffer.from(value.DataType, "utf8")));
    if (isBinaryType(value.DataType)) {
      parts.push(Buffer.from([TRANSPORT_BINARY]));
      parts.push(...lengthPrefixed(Buffer.from(value.BinaryValue ?? "", "base64")));
    } else {
      parts.push(Buffer.from([TRANSPORT_STRING]));
      parts.push(...lengthPrefixed(Buffer.from(value.StringValue ?? "", "utf8")));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
