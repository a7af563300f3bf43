import { describe, expect, it } from "vitest";
import { writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { rmSync } from "node:fs";
import fc from "fast-check";
import {
  CreateBucketCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutBucketTaggingCommand,
  PutObjectCommand,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { startTestCloud, tempDir, useTestCloud } from "../../helpers/local-cloud.js";
import { s3Client, s3Error } from "./s3-helpers.js";

const Bucket = "listing";

async function listAll(s3: S3Client, input: { Prefix?: string; Delimiter?: string; MaxKeys?: number; StartAfter?: string }) {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page: ListObjectsV2CommandOutput = await s3.send(new ListObjectsV2Command({ Bucket, ...input, ContinuationToken: token }));
    pages += 1;
    keys.push(...(page.Contents ?? []).map((c) => c.Key!));
    prefixes.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
    expect(page.KeyCount).toBe((page.Contents?.length ?? 0) + (page.CommonPrefixes?.length ?? 0));
    if (input.MaxKeys !== undefined) expect(page.KeyCount).toBeLessThanOrEqual(input.MaxKeys);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (page.IsTruncated) expect(token).toBeTruthy();
  } while (token !== undefined && pages < 1000);
  return { keys, prefixes, pages };
}

/** What ListObjectsV2 must return, computed the obvious way: UTF-8 byte order, prefix, roll-up. */
function expectedListing(all: string[], prefix: string, delimiter: string | undefined, startAfter?: string) {
  const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const keys: string[] = [];
  const prefixes = new Set<string>();
  for (const key of [...all].sort(byBytes)) {
    if (!key.startsWith(prefix)) continue;
    if (startAfter !== undefined && byBytes(key, startAfter) <= 0) continue;
    const at = delimiter === undefined ? -1 : key.indexOf(delimiter, prefix.length);
    if (at === -1) keys.push(key);
    else prefixes.add(key.slice(0, at + delimiter!.length));
  }
  return { keys, prefixes: [...prefixes] };
}

describe("S3 listing", () => {
  it("lists with prefix, delimiter, max-keys and continuation tokens in UTF-8 byte order", async () => {
    const cloud = await useTestCloud();
    const s3 = s3Client(cloud);
    await s3.send(new CreateBucketCommand({ Bucket }));
    const keys = [
      "assets/app.js",
      "assets/css/site.css",
      "assets/css/print.css",
      "assets/img/logo.png",
      "handler/v1.zip",
      "handler/v2.zip",
      "index.html",
      "Zeta",
      "z",
      "é-accent",
      "\u{1F4A5}-emoji",
      "\uFF21-fullwidth",
    ];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));

    const flat = await listAll(s3, {});
    expect(flat.keys).toEqual(expectedListing(keys, "", undefined).keys);

    const paged = await listAll(s3, { MaxKeys: 2 });
    expect(paged.keys).toEqual(flat.keys);
    expect(paged.pages).toBe(Math.ceil(keys.length / 2));

    const rolled = await listAll(s3, { Delimiter: "/" });
    expect(rolled).toMatchObject(expectedListing(keys, "", "/"));
    const rolledPaged = await listAll(s3, { Delimiter: "/", MaxKeys: 1 });
    expect(rolledPaged.keys).toEqual(rolled.keys);
    expect(rolledPaged.prefixes).toEqual(rolled.prefixes);

    const inAssets = await listAll(s3, { Prefix: "assets/", Delimiter: "/" });
    expect(inAssets).toMatchObject({ keys: ["assets/app.js"], prefixes: ["assets/css/", "assets/img/"] });

    const after = await listAll(s3, { StartAfter: "handler/v1.zip" });
    expect(after.keys).toEqual(expectedListing(keys, "", undefined, "handler/v1.zip").keys);

    const zero = await s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 0 }));
    expect(zero).toMatchObject({ KeyCount: 0, IsTruncated: false });
    expect(await s3Error(s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken: "garbage" })))).toMatchObject({ name: "InvalidArgument" });
    expect(await s3Error(s3.send(new ListObjectsV2Command({ Bucket: "missing-bucket" })))).toMatchObject({ name: "NoSuchBucket", status: 404 });

    // ListObjects (v1) pages with markers.
    const v1 = await s3.send(new ListObjectsCommand({ Bucket, Prefix: "assets/", Delimiter: "/" }));
    expect(v1.Contents?.map((c) => c.Key)).toEqual(["assets/app.js"]);
    expect(v1.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["assets/css/", "assets/img/"]);
  });

  it("agrees with a model listing for arbitrary keys, prefixes, delimiters and page sizes", async () => {
    const cloud = await useTestCloud();
    const s3 = s3Client(cloud);
    await s3.send(new CreateBucketCommand({ Bucket }));
    const alphabet = fc.constantFrom("a", "b", "/", "-", "é", "\u{1F600}");
    const keySet = fc.uniqueArray(
      fc.array(alphabet, { minLength: 1, maxLength: 5 }).map((cs) => cs.join("")),
      { minLength: 1, maxLength: 15 },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        keySet,
        fc.array(alphabet, { maxLength: 2 }).map((cs) => cs.join("")),
        fc.constantFrom(undefined, "/", "-"),
        fc.integer({ min: 1, max: 4 }),
        async (keys, prefix, delimiter, maxKeys) => {
          run += 1;
          const bucketKeys = keys.map((k) => `${run}|${k}`);
          for (const Key of bucketKeys) await s3.send(new PutObjectCommand({ Bucket, Key, Body: "" }));
          const fullPrefix = `${run}|${prefix}`;
          const listed = await listAll(s3, { Prefix: fullPrefix, MaxKeys: maxKeys, ...(delimiter ? { Delimiter: delimiter } : {}) });
          const expected = expectedListing(bucketKeys, fullPrefix, delimiter);
          expect(listed.keys).toEqual(expected.keys);
          expect([...listed.prefixes].sort()).toEqual([...expected.prefixes].sort());
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("S3 durability", () => {
  it("keeps buckets, objects and bucket settings across a restart on the same data dir, and sweeps orphan blobs", async () => {
    const dataDir = tempDir("wsq-s3-durable-");
    try {
      const first = await startTestCloud({ dataDir, keepData: true });
      const s3 = s3Client(first);
      await s3.send(new CreateBucketCommand({ Bucket }));
      await s3.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: [{ Key: "k", Value: "v" }] } }));
      const body = Buffer.alloc(200_000, 7);
      const put = await s3.send(new PutObjectCommand({ Bucket, Key: "kept/handler.zip", Body: body, Metadata: { a: "b" } }));
      await first.stop();

      // A blob no row refers to is what a crash between writing the file and committing leaves.
      const blobDir = join(dataDir, "s3", "blobs");
      writeFileSync(join(blobDir, "00000000-0000-4000-8000-000000000000"), "orphan");
      writeFileSync(join(blobDir, "00000000-0000-4000-8000-000000000001.tmp"), "half written");

      const second = await startTestCloud({ dataDir, keepData: true });
      try {
        const again = s3Client(second);
        const got = await again.send(new GetObjectCommand({ Bucket, Key: "kept/handler.zip", ChecksumMode: "ENABLED" }));
        expect(got.ETag).toBe(put.ETag);
        expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
        expect(got.Metadata).toEqual({ a: "b" });
        expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
        expect((await again.send(new GetBucketTaggingCommand({ Bucket }))).TagSet).toEqual([{ Key: "k", Value: "v" }]);
        expect(readdirSync(blobDir)).toHaveLength(1);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("lets in-flight puts finish when the local cloud stops", async () => {
    const dataDir = tempDir("wsq-s3-graceful-");
    try {
      const cloud = await startTestCloud({ dataDir, keepData: true });
      const s3 = s3Client(cloud);
      await s3.send(new CreateBucketCommand({ Bucket }));
      const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(300_000, i));
      const puts = bodies.map((Body, i) => s3.send(new PutObjectCommand({ Bucket, Key: `p${i}`, Body })));
      // Stop as soon as the first put was acknowledged; the rest are in flight or refused.
      await Promise.race(puts);
      await cloud.stop();
      const outcomes = await Promise.allSettled(puts);
      const acknowledged = outcomes.flatMap((o, i) => (o.status === "fulfilled" ? [i] : []));
      expect(acknowledged.length).toBeGreaterThan(0);

      const restarted = await startTestCloud({ dataDir, keepData: true });
      try {
        const again = s3Client(restarted);
        for (const i of acknowledged) {
          const got = await again.send(new GetObjectCommand({ Bucket, Key: `p${i}` }));
          expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bodies[i]!)).toBe(true);
        }
      } finally {
        await restarted.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("S3Api (in-process, for other services)", () => {
  it("creates buckets and reads, writes and deletes objects", async () => {
    const cloud = await useTestCloud();
    const api = cloud.services.s3.api;
    expect(await api.bucketExists("code-bucket")).toBe(false);
    await api.createBucket("code-bucket");
    expect(await api.bucketExists("code-bucket")).toBe(true);
    // CloudFormation's view: a taken name is an error, even in us-east-1.
    await expect(api.createBucket("code-bucket")).rejects.toMatchObject({ code: "BucketAlreadyOwnedByYou" });
    await expect(api.createBucket("Bad_Name")).rejects.toMatchObject({ code: "InvalidBucketName" });
    const info = await api.putObject("code-bucket", "fn.zip", new Uint8Array([1, 2, 3]), "application/zip");
    expect(info).toMatchObject({ bucket: "code-bucket", key: "fn.zip", size: 3, contentType: "application/zip" });
    expect(info.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const got = await api.getObject("code-bucket", "fn.zip");
    expect([...got.body]).toEqual([1, 2, 3]);
    expect(got.info.etag).toBe(info.etag);
    // Written in-process, read over the wire by the SDK.
    const viaSdk = await s3Client(cloud).send(new GetObjectCommand({ Bucket: "code-bucket", Key: "fn.zip" }));
    expect(viaSdk.ContentType).toBe("application/zip");
    await expect(api.deleteBucket("code-bucket")).rejects.toMatchObject({ code: "BucketNotEmpty" });
    await api.deleteObject("code-bucket", "fn.zip");
    await expect(api.getObject("code-bucket", "fn.zip")).rejects.toMatchObject({ code: "NoSuchKey" });
    await api.deleteBucket("code-bucket");
    await expect(api.getObject("code-bucket", "fn.zip")).rejects.toMatchObject({ code: "NoSuchBucket" });
  });
});
