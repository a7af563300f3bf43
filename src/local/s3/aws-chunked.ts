import { AwsServiceError } from "../aws-error.js";

/**
 * Decodes an `aws-chunked` request body: what the SDK sends when it streams an upload with a
 * trailing checksum (`x-amz-trailer: x-amz-checksum-crc32`), and what SigV4 streaming uploads
 * (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) use with a signature per chunk.
 *
 *   <hex size>[;chunk-signature=<sig>]\r\n<bytes>\r\n ... 0[;chunk-signature=<sig>]\r\n
 *   [<trailer-name>:<value>\r\n ...]\r\n
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html (checked 2026-11).
 * Chunk signatures are not verified: the local cloud does not check SigV4 signatures at all.
 */
export interface DecodedChunkedBody {
  body: Buffer;
  /** Lower-cased trailer names → values (x-amz-checksum-*, x-amz-trailer-signature). */
  trailers: Map<string, string>;
}

function incomplete(message: string): AwsServiceError {
  return new AwsServiceError("IncompleteBody", message, { status: 400 });
}

function readLine(buffer: Buffer, start: number): { line: string; next: number } | undefined {
  const end = buffer.indexOf("\r\n", start, "latin1");
  if (end === -1) return undefined;
  return { line: buffer.toString("latin1", start, end), next: end + 2 };
}

export function decodeAwsChunked(encoded: Buffer): DecodedChunkedBody {
  const parts: Buffer[] = [];
  let position = 0;
  while (true) {
    const header = readLine(encoded, position);
    if (header === undefined) throw incomplete("The aws-chunked body ended inside a chunk header.");
    const sizeText = header.line.split(";", 1)[0]!.trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw incomplete(`Invalid aws-chunked chunk size "${sizeText}".`);
    const size = Number.parseInt(sizeText, 16);
    position = header.next;
    if (size === 0) break;
    if (position + size > encoded.length) throw incomplete("The aws-chunked body ended inside a chunk.");
    parts.push(encoded.subarray(position, position + size));
    position += size;
    if (encoded.toString("latin1", position, position + 2) !== "\r\n") throw incomplete("An aws-chunked chunk is not followed by CRLF.");
    position += 2;
  }
  const trailers = new Map<string, string>();
  while (position < encoded.length) {
    const line = readLine(encoded, position);
    if (line === undefined) {
      // Some encoders omit the final CRLF after the last trailer.
      const rest = encoded.toString("latin1", position).trim();
      if (rest.length > 0) addTrailer(trailers, rest);
      break;
    }
    position = line.next;
    if (line.line === "") break;
    addTrailer(trailers, line.line);
  }
  return { body: Buffer.concat(parts), trailers };
}

function addTrailer(trailers: Map<string, string>, line: string): void {
  const colon = line.indexOf(":");
  if (colon === -1) throw incomplete(`Invalid aws-chunked trailer "${line}".`);
  trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
}

/** Whether the Content-Encoding list names aws-chunked; returns the remaining encodings. */
export function splitContentEncoding(value: string | undefined): { chunked: boolean; rest: string | undefined } {
  if (value === undefined) return { chunked: false, rest: undefined };
  const codings = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const rest = codings.filter((c) => c.toLowerCase() !== "aws-chunked");
  return { chunked: rest.length !== codings.length, rest: rest.length > 0 ? rest.join(",") : undefined };
}
