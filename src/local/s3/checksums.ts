import { createHash } from "node:crypto";

/**
 * The flexible checksums S3 accepts and returns (x-amz-checksum-*), computed here so that a
 * client's value can be verified and the stored one returned for the SDK to verify on GET.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html (checked 2026-11)
 *
 * The CRCs are written out because Node 20 has none of them built in (zlib.crc32 arrived in
 * 20.15 and covers only CRC32) and a dependency for three small table-driven loops is not worth it.
 * Each value is the big-endian CRC, base64-encoded, as S3 transmits it.
 */
export const CHECKSUM_ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** Since late 2024 S3 computes a CRC64NVME for every object whose upload carried no checksum. */
export const DEFAULT_CHECKSUM_ALGORITHM: ChecksumAlgorithm = "CRC64NVME";

export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm | undefined {
  const upper = value.toUpperCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(upper) ? (upper as ChecksumAlgorithm) : undefined;
}

function crc32Table(reflectedPolynomial: number): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reflectedPolynomial : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 (ISO-HDLC, as zlib) and CRC-32C (Castagnoli) share the reflected algorithm. */
const CRC32_TABLE = crc32Table(0xedb88320);
const CRC32C_TABLE = crc32Table(0x82f63b78);

/** An incremental checksum: large objects (multipart) are checksummed part by part. */
export interface ChecksumHasher {
  update(data: Uint8Array): void;
  digest(): Buffer;
}

function crc32Hasher(table: Uint32Array): ChecksumHasher {
  let crc = 0xffffffff;
  return {
    update(data) {
      let c = crc;
      for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
      crc = c;
    },
    digest() {
      const out = Buffer.alloc(4);
      out.writeUInt32BE((crc ^ 0xffffffff) >>> 0, 0);
      return out;
    },
  };
}

/** CRC-64/NVME: reflected polynomial 0x9A6C9329AC4BC9B5, init and xorout all ones. */
const CRC64_POLY = 0x9a6c9329ac4bc9b5n;
const CRC64_TABLE: BigUint64Array = (() => {
  const table = new BigUint64Array(256);
  for (let n = 0; n < 256; n++) {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ CRC64_POLY : c >> 1n;
    table[n] = c;
  }
  return table;
})();
// BigInt per byte is slow; the table is split into 32-bit halves so the loop stays in numbers.
const CRC64_HI = Uint32Array.from(CRC64_TABLE, (v) => Number(v >> 32n));
const CRC64_LO = Uint32Array.from(CRC64_TABLE, (v) => Number(v & 0xffffffffn));

function crc64nvmeHasher(): ChecksumHasher {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  return {
    update(data) {
      for (let i = 0; i < data.length; i++) {
        const index = (lo ^ data[i]!) & 0xff;
        // (crc >> 8) ^ table[index], on two 32-bit halves
        const shiftedLo = ((lo >>> 8) | ((hi & 0xff) << 24)) >>> 0;
        const shiftedHi = hi >>> 8;
        lo = (shiftedLo ^ CRC64_LO[index]!) >>> 0;
        hi = (shiftedHi ^ CRC64_HI[index]!) >>> 0;
      }
    },
    digest() {
      const out = Buffer.alloc(8);
      out.writeUInt32BE((hi ^ 0xffffffff) >>> 0, 0);
      out.writeUInt32BE((lo ^ 0xffffffff) >>> 0, 4);
      return out;
    },
  };
}

function hashHasher(name: "sha1" | "sha256"): ChecksumHasher {
  const hash = createHash(name);
  return { update: (data) => void hash.update(data), digest: () => hash.digest() };
}

export function createChecksumHasher(algorithm: ChecksumAlgorithm): ChecksumHasher {
  switch (algorithm) {
    case "CRC32":
      return crc32Hasher(CRC32_TABLE);
    case "CRC32C":
      return crc32Hasher(CRC32C_TABLE);
    case "CRC64NVME":
      return crc64nvmeHasher();
    case "SHA1":
      return hashHasher("sha1");
    case "SHA256":
      return hashHasher("sha256");
  }
}

/** The raw checksum bytes. */
export function checksumBytes(algorithm: ChecksumAlgorithm, data: Uint8Array): Buffer {
  const hasher = createChecksumHasher(algorithm);
  hasher.update(data);
  return hasher.digest();
}

/** Base64, the form of the x-amz-checksum-* headers. */
export function computeChecksum(algorithm: ChecksumAlgorithm, data: Uint8Array): string {
  return checksumBytes(algorithm, data).toString("base64");
}

export function md5Hex(data: Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

export function md5Base64(data: Uint8Array): string {
  return createHash("md5").update(data).digest("base64");
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
