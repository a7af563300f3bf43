/**
 * API Gateway limits each WebSocket frame to 32 KB, apart from the 128 KB message limit (a
 * message may come in several frames); a larger frame closes the connection with 1009.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html#apigateway-execution-service-websocket-limits-table
 *
 * Written by hand because the `ws` library only reports whole messages and checks their total
 * size: this reads the frame headers (RFC 6455 section 5.2) of the bytes the client sends, and
 * skips their payloads, without buffering more than a header's 14 bytes.
 */
export class FrameSizeGuard {
  /** Payload bytes of the current frame still to skip. */
  private skip = 0;
  /** A frame header split across chunks. */
  private header: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds bytes in arrival order; returns the payload size of the first data frame over the limit. */
  feed(chunk: Buffer): number | undefined {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const taken = Math.min(this.skip, chunk.length - offset);
        this.skip -= taken;
        offset += taken;
        continue;
      }
      const available = this.header.length === 0 ? chunk.subarray(offset) : Buffer.concat([this.header, chunk.subarray(offset, offset + 14)]);
      const parsed = parseHeader(available);
      if (parsed === undefined) {
        // Not a whole header yet: keep what there is (at most 14 bytes) for the next chunk.
        this.header = Buffer.from(available.subarray(0, 14));
        return undefined;
      }
      offset += parsed.headerBytes - this.header.length;
      this.header = Buffer.alloc(0);
      const isData = parsed.opcode < 0x8;
      if (isData && parsed.payloadBytes > this.maxFrameBytes) return parsed.payloadBytes;
      this.skip = parsed.payloadBytes;
    }
    return undefined;
  }
}

function parseHeader(bytes: Buffer): { opcode: number; headerBytes: number; payloadBytes: number } | undefined {
  if (bytes.length < 2) return undefined;
  const opcode = bytes[0]! & 0x0f;
  const masked = (bytes[1]! & 0x80) !== 0;
  const short = bytes[1]! & 0x7f;
  const extended = short === 126 ? 2 : short === 127 ? 8 : 0;
  const headerBytes = 2 + extended + (masked ? 4 : 0);
  if (bytes.length < headerBytes) return undefined;
  // A 64-bit length beyond 2^53 is nonsense; ws refuses it itself, and reading it as a float is enough to say "too large".
  const payloadBytes = short === 126 ? bytes.readUInt16BE(2) : short === 127 ? bytes.readUInt32BE(2) * 2 ** 32 + bytes.readUInt32BE(6) : short;
  return { opcode, headerBytes, payloadBytes };
}
