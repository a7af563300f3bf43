import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameSizeGuard } from "../../../src/local/apigateway/frame-guard.js";

/** A masked client frame header (RFC 6455 5.2) followed by `length` payload bytes. */
function frame(opcode: number, length: number, fin = true): Buffer {
  const first = (fin ? 0x80 : 0) | opcode;
  let header: Buffer;
  if (length < 126) header = Buffer.from([first, 0x80 | length]);
  else if (length < 65536) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = 0x80 | 127;
    header.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    header.writeUInt32BE(length % 2 ** 32, 6);
  }
  return Buffer.concat([header, Buffer.from([1, 2, 3, 4]), Buffer.alloc(length, 0x61)]);
}

function feedInChunks(guard: FrameSizeGuard, bytes: Buffer, cuts: number[]): number | undefined {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  for (const point of [...points, bytes.length]) {
    const result = guard.feed(bytes.subarray(start, point));
    if (result !== undefined) return result;
    start = point;
  }
  return undefined;
}

describe("FrameSizeGuard", () => {
  const limit = 32 * 1024;

  it("lets frames up to the limit through, with 7-, 16- and 64-bit lengths and control frames between", () => {
    const guard = new FrameSizeGuard(limit);
    expect(guard.feed(Buffer.concat([frame(1, 5), frame(9, 125), frame(1, 300, false), frame(0, limit), frame(2, 0)]))).toBeUndefined();
  });

  it("names the first data frame over the limit, also a continuation frame and a 64-bit length", () => {
    expect(new FrameSizeGuard(limit).feed(Buffer.concat([frame(1, 10), frame(1, limit + 1)]))).toBe(limit + 1);
    expect(new FrameSizeGuard(limit).feed(Buffer.concat([frame(1, 100, false), frame(0, 40_000)]))).toBe(40_000);
    expect(new FrameSizeGuard(limit).feed(frame(2, 70_000))).toBe(70_000);
  });

  it("reads the same frames however the bytes are split into chunks", () => {
    const stream = Buffer.concat([frame(1, 3), frame(1, 200), frame(10, 4), frame(1, 1000, false), frame(0, limit), frame(1, limit + 5)]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        expect(feedInChunks(new FrameSizeGuard(limit), stream, cuts)).toBe(limit + 5);
      }),
      { numRuns: 300 },
    );
  });
});
