import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  UploadPartCommand,
  type ChecksumAlgorithm,
  type S3Client,
} from "@aws-sdk/client-s3";
import { startTestCloud, tempDir, useTestCloud } from "../../helpers/local-cloud.js";
import { s3Client, s3Error } from "./s3-helpers.js";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";

const Bucket = "big-assets";
const MiB = 1024 * 1024;

async function setUp(): Promise<{ cloud: LocalCloud; s3: S3Client }> {
  const cloud = await useTestCloud();
  const s3 = s3Client(cloud);
  await s3.send(new CreateBucketCommand({ Bucket }));
  return { cloud, s3 };
}

/** S3's multipart ETag: the MD5 of the parts' binary MD5s, then `-N`. */
function multipartEtag(parts: Buffer[]): string {
  const outer = createHash("md5");
  for (const part of parts) outer.update(createHash("md5").update(part).digest());
  return `"${outer.digest("hex")}-${parts.length}"`;
}

async function upload(s3: S3Client, Key: string, parts: Buffer[], algorithm?: ChecksumAlgorithm) {
  const created = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket,
      Key,
      ContentType: "application/zip",
      Metadata: { built: "yes" },
      ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}),
    }),
  );
  const uploaded = [];
  for (const [index, Body] of parts.entries()) {
    const part = await s3.send(
      new UploadPartCommand({ Bucket, Key, UploadId: created.UploadId, PartNumber: index + 1, Body, ...(algorithm ? { ChecksumAlgorithm: algorithm } : {}) }),
    );
    uploaded.push({
      PartNumber: index + 1,
      ETag: part.ETag,
      ...(algorithm ? { [`Checksum${algorithm}`]: part[`Checksum${algorithm}` as "ChecksumCRC32"] } : {}),
    });
  }
  return { uploadId: created.UploadId!, uploaded, created };
}

describe("S3 multipart upload", () => {
  it("assembles parts into one object with S3's ETag and a composite CRC32 the SDK accepts", async () => {
    const { cloud, s3 } = await setUp();
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1234)];
    const { uploadId, uploaded, created } = await upload(s3, "bundle.zip", parts, "CRC32");
    expect(created.ChecksumAlgorithm).toBe("CRC32");
    expect(created.ChecksumType).toBe("COMPOSITE");

    const listed = await s3.send(new ListPartsCommand({ Bucket, Key: "bundle.zip", UploadId: uploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, 5 * MiB],
      [2, 5 * MiB],
      [3, 1234],
    ]);
    const inProgress = await s3.send(new ListMultipartUploadsCommand({ Bucket }));
    expect(inProgress.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([["bundle.zip", uploadId]]);
    // Not an object until completed.
    expect((await s3.send(new ListObjectsV2Command({ Bucket }))).KeyCount).toBe(0);

    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: "bundle.zip", UploadId: uploadId, MultipartUpload: { Parts: uploaded } }));
    expect(done.ETag).toBe(multipartEtag(parts));
    expect(done.ChecksumCRC32).toMatch(/-3$/);
    expect(done.ChecksumType).toBe("COMPOSITE");

    const got = await s3.send(new GetObjectCommand({ Bucket, Key: "bundle.zip", ChecksumMode: "ENABLED" }));
    expect(got).toMatchObject({ ContentType: "application/zip", Metadata: { built: "yes" }, ETag: done.ETag, ChecksumCRC32: done.ChecksumCRC32 });
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads).toBeUndefined();
    // Parts are gone from disk: one blob, the object's.
    expect(readdirSync(join(cloud.dataDir, "s3", "blobs"))).toHaveLength(1);
  });

  it("computes a full-object CRC64NVME for uploads without a checksum, which the SDK verifies", async () => {
    const { cloud, s3 } = await setUp();
    // A client that sends checksums only where S3 requires them.
    const plainClient = s3Client(cloud, { requestChecksumCalculation: "WHEN_REQUIRED" });
    const parts = [randomBytes(5 * MiB), randomBytes(777)];
    const created = await plainClient.send(new CreateMultipartUploadCommand({ Bucket, Key: "plain" }));
    expect(created.ChecksumAlgorithm).toBeUndefined();
    const uploaded = [];
    for (const [index, Body] of parts.entries()) {
      const part = await plainClient.send(new UploadPartCommand({ Bucket, Key: "plain", UploadId: created.UploadId, PartNumber: index + 1, Body }));
      uploaded.push({ PartNumber: index + 1, ETag: part.ETag });
    }
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: "plain", UploadId: created.UploadId, MultipartUpload: { Parts: uploaded } }));
    expect(done.ChecksumType).toBe("FULL_OBJECT");
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: "plain", ChecksumMode: "ENABLED" }));
    expect(got.ChecksumCRC64NVME).toBe(done.ChecksumCRC64NVME);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);
  });

  it("refuses bad completions as S3 does", async () => {
    const { s3 } = await setUp();
    const small = [randomBytes(1000), randomBytes(1000)];
    const { uploadId, uploaded } = await upload(s3, "small", small);
    const complete = (Parts: { PartNumber: number; ETag?: string }[]) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: "small", UploadId: uploadId, MultipartUpload: { Parts } }));
    expect(await s3Error(complete(uploaded))).toMatchObject({ name: "EntityTooSmall", status: 400 });
    expect(await s3Error(complete([uploaded[1]!, uploaded[0]!]))).toMatchObject({ name: "InvalidPartOrder" });
    expect(await s3Error(complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }]))).toMatchObject({ name: "InvalidPart" });
    expect(await s3Error(complete([{ PartNumber: 7, ETag: uploaded[0]!.ETag }]))).toMatchObject({ name: "InvalidPart" });
    // The last part alone may be small.
    const single = await complete([uploaded[0]!]);
    expect(single.ETag).toBe(multipartEtag([small[0]!]));
    expect(await s3Error(complete(uploaded))).toMatchObject({ name: "NoSuchUpload", status: 404 });
    expect(await s3Error(s3.send(new UploadPartCommand({ Bucket, Key: "small", UploadId: uploadId, PartNumber: 1, Body: "x" })))).toMatchObject({
      name: "NoSuchUpload",
    });
    expect(await s3Error(s3.send(new UploadPartCommand({ Bucket, Key: "small", UploadId: "made-up", PartNumber: 10001, Body: "x" })))).toMatchObject({
      status: 400,
    });
  });

  it("aborts an upload, removing its parts; a bucket's pending uploads go with the bucket", async () => {
    const { cloud, s3 } = await setUp();
    const { uploadId } = await upload(s3, "abandoned", [randomBytes(100)]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: "abandoned", UploadId: uploadId }));
    expect(await s3Error(s3.send(new ListPartsCommand({ Bucket, Key: "abandoned", UploadId: uploadId })))).toMatchObject({ name: "NoSuchUpload" });
    expect(readdirSync(join(cloud.dataDir, "s3", "blobs"))).toHaveLength(0);

    await upload(s3, "pending", [randomBytes(100)]);
    await s3.send(new DeleteBucketCommand({ Bucket }));
    expect(readdirSync(join(cloud.dataDir, "s3", "blobs"))).toHaveLength(0);
  });

  it("keeps the parts of an upload across a restart", async () => {
    const dataDir = tempDir("wsq-s3-mpu-");
    try {
      const first = await startTestCloud({ dataDir, keepData: true });
      const s3 = s3Client(first);
      await s3.send(new CreateBucketCommand({ Bucket }));
      const parts = [randomBytes(5 * MiB), randomBytes(10)];
      const created = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: "resumed", ChecksumAlgorithm: "SHA256" }));
      const one = await s3.send(
        new UploadPartCommand({ Bucket, Key: "resumed", UploadId: created.UploadId, PartNumber: 1, Body: parts[0], ChecksumAlgorithm: "SHA256" }),
      );
      await first.stop();

      const second = await startTestCloud({ dataDir, keepData: true });
      try {
        const again = s3Client(second);
        const listed = await again.send(new ListPartsCommand({ Bucket, Key: "resumed", UploadId: created.UploadId }));
        expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.ChecksumSHA256])).toEqual([[1, one.ETag, one.ChecksumSHA256]]);
        const two = await again.send(
          new UploadPartCommand({ Bucket, Key: "resumed", UploadId: created.UploadId, PartNumber: 2, Body: parts[1], ChecksumAlgorithm: "SHA256" }),
        );
        const done = await again.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: "resumed",
            UploadId: created.UploadId,
            MultipartUpload: {
              Parts: [
                { PartNumber: 1, ETag: one.ETag, ChecksumSHA256: one.ChecksumSHA256 },
                { PartNumber: 2, ETag: two.ETag, ChecksumSHA256: two.ChecksumSHA256 },
              ],
            },
          }),
        );
        expect(done.ETag).toBe(multipartEtag(parts));
        const got = await again.send(new GetObjectCommand({ Bucket, Key: "resumed" }));
        expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
