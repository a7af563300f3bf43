import { describe, expect, it } from "vitest";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type ChecksumAlgorithm,
  type S3Client,
} from "@aws-sdk/client-s3";
import { useTestCloud } from "../../helpers/local-cloud.js";
import { s3Client, s3Error } from "./s3-helpers.js";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";

const Bucket = "wsq-assets";

async function setUp(): Promise<{ cloud: LocalCloud; s3: S3Client }> {
  const cloud = await useTestCloud();
  const s3 = s3Client(cloud);
  await s3.send(new CreateBucketCommand({ Bucket }));
  return { cloud, s3 };
}

const md5 = (data: string | Buffer): string => createHash("md5").update(data).digest("hex");

describe("S3 objects", () => {
  it("puts, heads, gets and deletes an object with its metadata and an MD5 ETag", async () => {
    const { s3 } = await setUp();
    const body = "console.log('handler');";
    const put = await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: "handler.zip",
        Body: body,
        ContentType: "application/zip",
        CacheControl: "no-cache",
        ContentDisposition: 'attachment; filename="handler.zip"',
        Metadata: { "wsq-hash": "abc123", Purpose: "deploy" },
      }),
    );
    expect(put.ETag).toBe(`"${md5(body)}"`);

    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: "handler.zip" }));
    expect(head).toMatchObject({
      ETag: `"${md5(body)}"`,
      ContentLength: Buffer.byteLength(body),
      ContentType: "application/zip",
      CacheControl: "no-cache",
      ContentDisposition: 'attachment; filename="handler.zip"',
      Metadata: { "wsq-hash": "abc123", purpose: "deploy" },
      ServerSideEncryption: "AES256",
    });
    expect(head.LastModified).toBeInstanceOf(Date);

    const got = await s3.send(new GetObjectCommand({ Bucket, Key: "handler.zip" }));
    expect(await got.Body?.transformToString()).toBe(body);
    expect(got.ETag).toBe(put.ETag);

    // Overwrite replaces the bytes; the replaced blob is removed from disk.
    await s3.send(new PutObjectCommand({ Bucket, Key: "handler.zip", Body: "v2" }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket, Key: "handler.zip" }))).Body?.transformToString()).toBe("v2");

    await s3.send(new DeleteObjectCommand({ Bucket, Key: "handler.zip" }));
    expect(await s3Error(s3.send(new GetObjectCommand({ Bucket, Key: "handler.zip" })))).toMatchObject({ name: "NoSuchKey", status: 404 });
    expect(await s3Error(s3.send(new HeadObjectCommand({ Bucket, Key: "handler.zip" })))).toMatchObject({ name: "NotFound", status: 404 });
    // Deleting what is not there succeeds, as on S3.
    await s3.send(new DeleteObjectCommand({ Bucket, Key: "handler.zip" }));
    expect(await s3Error(s3.send(new PutObjectCommand({ Bucket: "no-such-bucket", Key: "k", Body: "x" })))).toMatchObject({
      name: "NoSuchBucket",
      status: 404,
    });
    expect(await s3Error(s3.send(new DeleteObjectCommand({ Bucket: "no-such-bucket", Key: "k" })))).toMatchObject({ name: "NoSuchBucket" });
  });

  it("answers errors in S3's XML shape with a request id", async () => {
    const { cloud } = await setUp();
    const response = await fetch(`${cloud.url}/${Bucket}/missing/key.txt`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toBe("application/xml");
    const requestId = response.headers.get("x-amz-request-id");
    expect(requestId).toBeTruthy();
    const text = await response.text();
    expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error>/);
    expect(text).toContain("<Code>NoSuchKey</Code>");
    expect(text).toContain("<Message>The specified key does not exist.</Message>");
    expect(text).toContain("<Key>missing/key.txt</Key>");
    expect(text).toContain(`<Resource>/${Bucket}/missing/key.txt</Resource>`);
    expect(text).toContain(`<RequestId>${requestId}</RequestId>`);

    const head = await fetch(`${cloud.url}/${Bucket}/missing`, { method: "HEAD" });
    expect(head.status).toBe(404);
    expect(await head.text()).toBe("");
    const unsupported = await fetch(`${cloud.url}/${Bucket}?lifecycle`, { method: "GET" });
    expect(unsupported.status).toBe(501);
    expect(await unsupported.text()).toContain("<Code>NotImplemented</Code>");
  });

  it.each<ChecksumAlgorithm>(["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])(
    "stores and returns a %s checksum the SDK computes and verifies",
    async (algorithm) => {
      const { s3 } = await setUp();
      const body = randomBytes(70_000);
      const put = await s3.send(new PutObjectCommand({ Bucket, Key: "blob.bin", Body: body, ChecksumAlgorithm: algorithm }));
      const field = `Checksum${algorithm}` as const;
      expect(put[field]).toBeTruthy();
      const got = await s3.send(new GetObjectCommand({ Bucket, Key: "blob.bin", ChecksumMode: "ENABLED" }));
      expect(got[field]).toBe(put[field]);
      expect(got.ChecksumType).toBe("FULL_OBJECT");
      // The SDK verifies the body against the checksum header while it reads.
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    },
  );

  it("decodes streamed aws-chunked uploads with a trailing checksum", async () => {
    const { s3 } = await setUp();
    const parts = [randomBytes(10_000), randomBytes(20_000), randomBytes(5)];
    const whole = Buffer.concat(parts);
    const seen: Record<string, string> = {};
    s3.middlewareStack.add(
      (next) => async (args) => {
        Object.assign(seen, (args.request as { headers: Record<string, string> }).headers);
        return next(args);
      },
      { step: "finalizeRequest", name: "captureHeaders" },
    );
    const put = await s3.send(
      new PutObjectCommand({ Bucket, Key: "streamed", Body: Readable.from(parts), ContentLength: whole.length, ContentType: "application/zip" }),
    );
    expect(seen["content-encoding"]).toContain("aws-chunked");
    expect(seen["x-amz-trailer"]).toMatch(/^x-amz-checksum-/);
    expect(put.ETag).toBe(`"${md5(whole)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: "streamed" }));
    expect(got.ContentEncoding).toBeUndefined();
    expect(got.ContentLength).toBe(whole.length);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(whole)).toBe(true);
  });

  it("refuses bodies that do not match their checksum, Content-MD5, SHA-256 or trailer", async () => {
    const { cloud, s3 } = await setUp();
    expect(await s3Error(s3.send(new PutObjectCommand({ Bucket, Key: "k", Body: "hello", ChecksumCRC32: "AAAAAA==" })))).toMatchObject({
      name: "BadDigest",
      status: 400,
    });
    const badMd5 = await fetch(`${cloud.url}/${Bucket}/k`, {
      method: "PUT",
      body: "hello",
      headers: { "content-md5": createHash("md5").update("other").digest("base64") },
    });
    expect(badMd5.status).toBe(400);
    expect(await badMd5.text()).toContain("<Code>BadDigest</Code>");
    const invalidMd5 = await fetch(`${cloud.url}/${Bucket}/k`, { method: "PUT", body: "hello", headers: { "content-md5": "nope" } });
    expect(await invalidMd5.text()).toContain("<Code>InvalidDigest</Code>");
    const badSha = await fetch(`${cloud.url}/${Bucket}/k`, { method: "PUT", body: "hello", headers: { "x-amz-content-sha256": "0".repeat(64) } });
    expect(await badSha.text()).toContain("<Code>XAmzContentSHA256Mismatch</Code>");
    const badTrailer = await fetch(`${cloud.url}/${Bucket}/k`, {
      method: "PUT",
      body: "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n",
      headers: { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "5", "x-amz-trailer": "x-amz-checksum-crc32" },
    });
    expect(await badTrailer.text()).toContain("<Code>BadDigest</Code>");
    const goodTrailer = await fetch(`${cloud.url}/${Bucket}/k`, {
      method: "PUT",
      body: "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n",
      headers: { "content-encoding": "aws-chunked", "x-amz-decoded-content-length": "5", "x-amz-trailer": "x-amz-checksum-crc32" },
    });
    expect(goodTrailer.status).toBe(200);
    expect(goodTrailer.headers.get("x-amz-checksum-crc32")).toBe("NhCmhg==");
    // Nothing corrupted was stored: only the verified upload is there.
    expect(await (await s3.send(new GetObjectCommand({ Bucket, Key: "k" }))).Body?.transformToString()).toBe("hello");
  });

  it("gives an object uploaded without a checksum S3's default CRC64NVME, which the SDK verifies", async () => {
    const { cloud, s3 } = await setUp();
    const plain = await fetch(`${cloud.url}/${Bucket}/plain.txt`, { method: "PUT", body: "no checksum sent" });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("x-amz-checksum-crc64nvme")).toBeTruthy();
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: "plain.txt", ChecksumMode: "ENABLED" }));
    expect(got.ChecksumCRC64NVME).toBe(plain.headers.get("x-amz-checksum-crc64nvme"));
    expect(await got.Body?.transformToString()).toBe("no checksum sent");
    const listed = await s3.send(new ListObjectsV2Command({ Bucket }));
    expect(listed.Contents?.[0]?.ChecksumAlgorithm).toEqual(["CRC64NVME"]);
  });

  it("serves byte ranges and refuses unsatisfiable ones", async () => {
    const { s3 } = await setUp();
    await s3.send(new PutObjectCommand({ Bucket, Key: "digits", Body: "0123456789" }));
    const middle = await s3.send(new GetObjectCommand({ Bucket, Key: "digits", Range: "bytes=2-5" }));
    expect(middle.ContentRange).toBe("bytes 2-5/10");
    expect(middle.$metadata.httpStatusCode).toBe(206);
    expect(await middle.Body?.transformToString()).toBe("2345");
    const suffix = await s3.send(new GetObjectCommand({ Bucket, Key: "digits", Range: "bytes=-3" }));
    expect(await suffix.Body?.transformToString()).toBe("789");
    expect(await s3Error(s3.send(new GetObjectCommand({ Bucket, Key: "digits", Range: "bytes=10-" })))).toMatchObject({
      name: "InvalidRange",
      status: 416,
    });
  });

  it("honours conditional reads and writes", async () => {
    const { s3 } = await setUp();
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: "c", Body: "one" }));
    expect(await s3Error(s3.send(new PutObjectCommand({ Bucket, Key: "c", Body: "two", IfNoneMatch: "*" })))).toMatchObject({
      name: "PreconditionFailed",
      status: 412,
    });
    await s3.send(new PutObjectCommand({ Bucket, Key: "new", Body: "first", IfNoneMatch: "*" }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket, Key: "c", IfMatch: put.ETag }))).Body?.transformToString()).toBe("one");
    expect(await s3Error(s3.send(new GetObjectCommand({ Bucket, Key: "c", IfMatch: '"0000"' })))).toMatchObject({ status: 412 });
    expect(await s3Error(s3.send(new GetObjectCommand({ Bucket, Key: "c", IfNoneMatch: put.ETag })))).toMatchObject({ status: 304 });
  });

  it("copies an object, keeping or replacing its metadata", async () => {
    const { s3 } = await setUp();
    await s3.send(new PutObjectCommand({ Bucket, Key: "src/a b.txt", Body: "copy me", Metadata: { m: "1" }, ContentType: "text/plain" }));
    const copied = await s3.send(new CopyObjectCommand({ Bucket, Key: "dst", CopySource: `${Bucket}/${encodeURIComponent("src/a b.txt")}` }));
    expect(copied.CopyObjectResult?.ETag).toBe(`"${md5("copy me")}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: "dst" }));
    expect(head).toMatchObject({ ContentType: "text/plain", Metadata: { m: "1" } });
    expect(await s3Error(s3.send(new CopyObjectCommand({ Bucket, Key: "dst", CopySource: `${Bucket}/missing` })))).toMatchObject({ name: "NoSuchKey" });
  });

  it("deletes many objects at once, reporting each, quietly when asked", async () => {
    const { cloud, s3 } = await setUp();
    for (const Key of ["a", "b", "c"]) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
    const result = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: "a" }, { Key: "b" }, { Key: "never-existed" }] } }));
    expect(result.Deleted?.map((d) => d.Key).sort()).toEqual(["a", "b", "never-existed"]);
    expect(result.Errors).toBeUndefined();
    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: "c" }], Quiet: true } }));
    expect(quiet.Deleted).toBeUndefined();
    expect((await s3.send(new ListObjectsV2Command({ Bucket }))).KeyCount).toBe(0);

    // S3 requires an integrity header on this call.
    const bare = await fetch(`${cloud.url}/${Bucket}?delete`, { method: "POST", body: "<Delete><Object><Key>x</Key></Object></Delete>" });
    expect(bare.status).toBe(400);
    expect(await bare.text()).toContain("<Code>InvalidRequest</Code>");
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ Key: `k${i}` }));
    expect(await s3Error(s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: tooMany } })))).toMatchObject({ name: "MalformedXML" });
  });

  it("keeps hostile keys as keys: never as paths on disk", async () => {
    const { cloud, s3 } = await setUp();
    const escapeProbe = `wsq-escape-probe-${process.pid}-${Date.now()}`;
    const keys = [
      "../../etc/passwd",
      `../../../../../../../../tmp/${escapeProbe}`,
      "a/../../b",
      "./.",
      "ключ/💥 name with spaces.txt",
      "percent%2Fencoded and+plus?query#hash",
      "back\\slash",
      "trailing/",
      "//double//slashes",
      "x".repeat(1024),
    ];
    for (const Key of keys) {
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: `body of ${Key}` }));
    }
    for (const Key of keys) {
      expect(await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body?.transformToString()).toBe(`body of ${Key}`);
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket }));
    expect(listed.Contents?.map((c) => c.Key).sort()).toEqual([...keys].sort());
    expect(existsSync(`/tmp/${escapeProbe}`)).toBe(false);
    // Every file the store wrote is a generated id inside its own folder.
    const blobs = readdirSync(join(cloud.dataDir, "s3", "blobs"));
    expect(blobs).toHaveLength(keys.length);
    for (const name of blobs) expect(name).toMatch(/^[0-9a-f-]{36}$/);
    expect(await s3Error(s3.send(new PutObjectCommand({ Bucket, Key: "x".repeat(1025), Body: "x" })))).toMatchObject({ name: "KeyTooLongError" });
  });
});
