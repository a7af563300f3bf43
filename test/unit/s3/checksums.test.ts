import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { crc32 as zlibCrc32 } from "node:zlib";
import { checksumBytes, computeChecksum, parseChecksumAlgorithm } from "../../../src/local/s3/checksums.js";

const CHECK_INPUT = Buffer.from("123456789");

describe("S3 flexible checksums", () => {
  // The standard "check" values of each CRC (the CRC of the ASCII digits 1-9).
  it("matches the published check values", () => {
    expect(checksumBytes("CRC32", CHECK_INPUT).toString("hex")).toBe("cbf43926");
    expect(checksumBytes("CRC32C", CHECK_INPUT).toString("hex")).toBe("e3069283");
    expect(checksumBytes("CRC64NVME", CHECK_INPUT).toString("hex")).toBe("ae8b14860a799888");
  });

  it("encodes as base64 of the big-endian value, as S3 sends it", () => {
    expect(computeChecksum("CRC32", Buffer.from("hello"))).toBe("NhCmhg==");
    expect(computeChecksum("CRC32", Buffer.alloc(0))).toBe("AAAAAA==");
    expect(computeChecksum("SHA256", Buffer.from("hello"))).toBe("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
  });

  const hasZlibCrc32 = typeof zlibCrc32 === "function";
  it.runIf(hasZlibCrc32)("agrees with zlib's CRC32 on arbitrary data", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(checksumBytes("CRC32", data).readUInt32BE(0)).toBe(zlibCrc32(data));
      }),
    );
  });

  it("CRC64NVME changes when one bit changes", () => {
    const data = Buffer.from("the quick brown fox");
    const flipped = Buffer.from(data);
    flipped[3]! ^= 1;
    expect(computeChecksum("CRC64NVME", data)).not.toBe(computeChecksum("CRC64NVME", flipped));
  });

  it("parses algorithm names case-insensitively and refuses others", () => {
    expect(parseChecksumAlgorithm("crc32c")).toBe("CRC32C");
    expect(parseChecksumAlgorithm("MD5")).toBeUndefined();
  });
});
