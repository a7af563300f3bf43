import type { LocalContext } from "../context.js";
import type { S3Api, S3ObjectInfo } from "../contracts.js";
import { AwsServiceError } from "../aws-error.js";
import { assertValidBucketName } from "./bucket-name.js";
import { computeChecksum, DEFAULT_CHECKSUM_ALGORITHM, md5Hex, type ChecksumAlgorithm } from "./checksums.js";
import { S3Store, type BucketConfigurationName, type BucketConfigurations, type StoredBucket, type StoredObject } from "./store.js";
import { MultipartUploads, type ObjectAttributes } from "./multipart.js";
import { parsePolicy } from "./bucket-config.js";

/**
 * Limits S3 enforces that a client can hit here.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html (checked 2026-11)
 */
export const MAX_KEY_BYTES = 1024;
export const MAX_USER_METADATA_BYTES = 2 * 1024;
export const MAX_LIST_KEYS = 1000;
export const MAX_DELETE_OBJECTS = 1000;
/** How often a read retries when a concurrent put replaced the blob it was about to open. */
const READ_RETRIES = 5;

export interface PutObjectInput {
  bucket: string;
  key: string;
  body: Buffer;
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  contentDisposition?: string | undefined;
  contentLanguage?: string | undefined;
  cacheControl?: string | undefined;
  expires?: string | undefined;
  metadata?: Record<string, string>;
  /** The checksum the client sent and that was verified, else S3's default is computed. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
  /** If-None-Match: * (conditional write). */
  ifNoneMatch?: boolean;
}

export interface CopyObjectInput {
  source: { bucket: string; key: string };
  bucket: string;
  key: string;
  /** The metadata directive REPLACE: the copy gets these attributes instead of the source's. */
  replaceAttributes?: ObjectAttributes;
}

export interface ListObjectsInput {
  bucket: string;
  prefix?: string;
  delimiter?: string;
  maxKeys?: number;
  /** Exclusive: listing continues after this key (decoded continuation token or StartAfter). */
  after?: string;
}

export interface ListObjectsResult {
  contents: StoredObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** The key or common prefix to continue after, when truncated. */
  nextAfter: string | undefined;
}

function noSuchBucket(): AwsServiceError {
  return new AwsServiceError("NoSuchBucket", "The specified bucket does not exist", { status: 404 });
}

function noSuchKey(): AwsServiceError {
  return new AwsServiceError("NoSuchKey", "The specified key does not exist.", { status: 404 });
}

export function objectInfo(object: StoredObject): S3ObjectInfo {
  return {
    bucket: object.bucket,
    key: object.key,
    size: object.size,
    etag: `"${object.md5}"`,
    lastModified: new Date(object.lastModified),
    contentType: object.contentType,
  };
}

export function assertValidKey(key: string): void {
  if (key.length === 0) throw new AwsServiceError("InvalidArgument", "Object key must not be empty.", { status: 400 });
  if (Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
    throw new AwsServiceError("KeyTooLongError", "Your key is too long", { status: 400 });
  }
}

/**
 * S3's rules over the store: bucket lifecycle, object writes and reads, listing. Knows nothing of
 * HTTP; the REST adapter (rest/dispatch.ts and the operations it routes to) translates requests into these calls.
 */
export class S3Service implements S3Api {
  readonly store: S3Store;
  readonly multipart: MultipartUploads;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly context: LocalContext) {
    this.store = new S3Store(context.db, context.dataDir);
    this.multipart = new MultipartUploads(context, context.db, this.store, this);
  }

  /** Tracks a write so close() can wait for it: a graceful stop lets in-flight puts finish. */
  private track<T>(work: Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new AwsServiceError("ServiceUnavailable", "The local cloud is stopping.", { status: 503 }));
    this.inFlight.add(work);
    const forget = (): void => void this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  assertValidKey(key: string): void {
    assertValidKey(key);
  }

  /** Tracks other writes (multipart) the same way, so a graceful stop waits for them too. */
  tracked<T>(work: Promise<T>): Promise<T> {
    return this.track(work);
  }

  requireBucket(bucket: string): StoredBucket {
    const found = this.store.getBucket(bucket);
    if (found === undefined) throw noSuchBucket();
    return found;
  }

  // ------------------------------------------------------------------ buckets

  /**
   * In us-east-1, re-creating a bucket you own succeeds (a legacy behaviour S3 keeps there);
   * elsewhere it is BucketAlreadyOwnedByYou.
   */
  createBucketIn(bucket: string, region: string): void {
    assertValidBucketName(bucket);
    if (this.store.insertBucket(bucket, region, this.context.clock.now())) {
      this.context.log.log("info", "bucket created", { bucket, region });
      return;
    }
    const existing = this.requireBucket(bucket);
    if (existing.region === "us-east-1" && region === "us-east-1") return;
    throw new AwsServiceError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", { status: 409 });
  }

  /**
   * CreateBucket as the REST API sends it: the location constraint must name the region the
   * request was sent to, and us-east-1 is the absence of one.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
   */
  createBucketWithConstraint(bucket: string, locationConstraint: string | undefined, endpointRegion: string): void {
    if (locationConstraint === "us-east-1") {
      throw new AwsServiceError("InvalidLocationConstraint", "The specified location-constraint is not valid", { status: 400 });
    }
    const bucketRegion = locationConstraint ?? "us-east-1";
    if (bucketRegion !== endpointRegion) {
      throw new AwsServiceError(
        "IllegalLocationConstraintException",
        locationConstraint === undefined
          ? "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."
          : `The ${locationConstraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
        { status: 400 },
      );
    }
    this.createBucketIn(bucket, bucketRegion);
  }

  /**
   * For in-process callers (CloudFormation's AWS::S3::Bucket): an existing bucket is always an
   * error here, as CloudFormation reports "already exists" for a bucket name that is taken even
   * in us-east-1, where the REST call itself would succeed.
   */
  async createBucket(bucket: string): Promise<void> {
    assertValidBucketName(bucket);
    if (this.store.getBucket(bucket) !== undefined) {
      throw new AwsServiceError("BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", {
        status: 409,
      });
    }
    this.createBucketIn(bucket, this.context.region);
  }

  async deleteBucket(bucket: string): Promise<void> {
    const { outcome, partBlobIds } = this.store.deleteBucket(bucket);
    if (outcome === "missing") throw noSuchBucket();
    if (outcome === "not-empty") {
      throw new AwsServiceError("BucketNotEmpty", "The bucket you tried to delete is not empty", { status: 409 });
    }
    for (const blobId of partBlobIds) await this.store.removeBlob(blobId);
    this.context.log.log("info", "bucket deleted", { bucket });
  }

  async bucketExists(bucket: string): Promise<boolean> {
    return this.store.getBucket(bucket) !== undefined;
  }

  listBuckets(): StoredBucket[] {
    return this.store.listBuckets();
  }

  setBucketConfiguration<K extends BucketConfigurationName>(bucket: string, which: K, value: BucketConfigurations[K] | undefined): void {
    this.requireBucket(bucket);
    this.store.setBucketConfiguration(bucket, which, value);
  }

  async putBucketPolicy(bucket: string, policy: string): Promise<void> {
    this.requireBucket(bucket);
    this.store.setBucketConfiguration(bucket, "policy", parsePolicy(Buffer.from(policy, "utf8"), bucket));
  }

  async deleteBucketPolicy(bucket: string): Promise<void> {
    this.setBucketConfiguration(bucket, "policy", undefined);
  }

  // ------------------------------------------------------------------ objects

  async putObject(bucket: string, key: string, body: Uint8Array, contentType?: string): Promise<S3ObjectInfo> {
    const stored = await this.put({ bucket, key, body: Buffer.from(body), contentType });
    return objectInfo(stored);
  }

  /**
   * CopyObject: the source's bytes (and, unless replaced, its attributes) under a new key. A copy
   * onto itself must change something; a composite (multipart) checksum describes parts the copy
   * does not have, so the copy gets a full-object one.
   */
  async copy(input: CopyObjectInput): Promise<StoredObject> {
    const { object, body } = await this.read(input.source.bucket, input.source.key);
    if (input.replaceAttributes === undefined && input.source.bucket === input.bucket && input.source.key === input.key) {
      throw new AwsServiceError(
        "InvalidRequest",
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        { status: 400 },
      );
    }
    const attributes: ObjectAttributes = input.replaceAttributes ?? {
      contentType: object.contentType,
      contentEncoding: object.contentEncoding,
      contentDisposition: object.contentDisposition,
      contentLanguage: object.contentLanguage,
      cacheControl: object.cacheControl,
      expires: object.expires,
      metadata: object.metadata,
    };
    return this.put({
      bucket: input.bucket,
      key: input.key,
      body,
      ...attributes,
      checksum: {
        algorithm: object.checksumAlgorithm,
        value: object.checksumType === "COMPOSITE" ? computeChecksum(object.checksumAlgorithm, body) : object.checksumValue,
      },
    });
  }

  put(input: PutObjectInput): Promise<StoredObject> {
    return this.track(this.putNow(input));
  }

  private async putNow(input: PutObjectInput): Promise<StoredObject> {
    this.requireBucket(input.bucket);
    assertValidKey(input.key);
    const metadata = input.metadata ?? {};
    const metadataBytes = Object.entries(metadata).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (metadataBytes > MAX_USER_METADATA_BYTES) {
      throw new AwsServiceError("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.", { status: 400 });
    }
    if (input.ifNoneMatch && this.store.getObject(input.bucket, input.key) !== undefined) {
      throw new AwsServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { status: 412 });
    }
    const checksum = input.checksum ?? { algorithm: DEFAULT_CHECKSUM_ALGORITHM, value: computeChecksum(DEFAULT_CHECKSUM_ALGORITHM, input.body) };
    const blobId = await this.store.writeBlob(input.body);
    const object: StoredObject = {
      bucket: input.bucket,
      key: input.key,
      blobId,
      size: input.body.length,
      md5: md5Hex(input.body),
      lastModified: this.context.clock.now(),
      contentType: input.contentType,
      contentEncoding: input.contentEncoding,
      contentDisposition: input.contentDisposition,
      contentLanguage: input.contentLanguage,
      cacheControl: input.cacheControl,
      expires: input.expires,
      metadata,
      checksumAlgorithm: checksum.algorithm,
      checksumValue: checksum.value,
      checksumType: "FULL_OBJECT",
      partsCount: undefined,
    };
    let outcome: { replacedBlobId: string | undefined; conflict: boolean };
    try {
      // The bucket may have been deleted while the blob was written: the foreign key refuses the row.
      this.requireBucket(input.bucket);
      outcome = this.store.commitObject(object, input.ifNoneMatch === true);
    } catch (error) {
      await this.store.removeBlob(blobId);
      throw error;
    }
    if (outcome.conflict) {
      await this.store.removeBlob(blobId);
      throw new AwsServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { status: 412 });
    }
    if (outcome.replacedBlobId !== undefined) await this.store.removeBlob(outcome.replacedBlobId);
    return object;
  }

  head(bucket: string, key: string): StoredObject {
    this.requireBucket(bucket);
    const object = this.store.getObject(bucket, key);
    if (object === undefined) throw noSuchKey();
    return object;
  }

  /** Reads the object's row and bytes consistently, even while puts replace it. */
  async read(bucket: string, key: string, range?: { start: number; end: number }): Promise<{ object: StoredObject; body: Buffer }> {
    for (let attempt = 0; attempt < READ_RETRIES; attempt++) {
      const object = this.head(bucket, key);
      const body = await this.store.readBlob(object.blobId, range);
      if (body !== undefined) return { object, body };
    }
    throw new AwsServiceError("InternalError", "We encountered an internal error. Please try again.", { status: 500 });
  }

  async getObject(bucket: string, key: string): Promise<{ info: S3ObjectInfo; body: Buffer }> {
    const { object, body } = await this.read(bucket, key);
    return { info: objectInfo(object), body };
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.track(this.deleteNow(bucket, key));
  }

  private async deleteNow(bucket: string, key: string): Promise<void> {
    this.requireBucket(bucket);
    const blobId = this.store.deleteObject(bucket, key);
    if (blobId !== undefined) await this.store.removeBlob(blobId);
  }

  /** ListObjectsV2 semantics: prefix, delimiter roll-up into common prefixes, max-keys paging. */
  list(input: ListObjectsInput): ListObjectsResult {
    this.requireBucket(input.bucket);
    const prefix = input.prefix ?? "";
    const delimiter = input.delimiter === "" ? undefined : input.delimiter;
    const maxKeys = Math.min(input.maxKeys ?? MAX_LIST_KEYS, MAX_LIST_KEYS);
    const contents: StoredObject[] = [];
    const commonPrefixes: string[] = [];
    if (maxKeys === 0) return { contents, commonPrefixes, isTruncated: false, nextAfter: undefined };
    let cursor: { after: string } | { from: string } = input.after !== undefined && input.after >= prefix ? { after: input.after } : { from: prefix };
    let lastEmitted: string | undefined;
    const batch = maxKeys + 1;
    while (true) {
      const rows = this.store.listObjects(input.bucket, cursor, batch);
      if (rows.length === 0) return { contents, commonPrefixes, isTruncated: false, nextAfter: undefined };
      for (const row of rows) {
        if (!row.key.startsWith(prefix)) return { contents, commonPrefixes, isTruncated: false, nextAfter: undefined };
        let entry: { kind: "key"; object: StoredObject } | { kind: "prefix"; value: string } = { kind: "key", object: row };
        if (delimiter !== undefined) {
          const at = row.key.indexOf(delimiter, prefix.length);
          if (at !== -1) entry = { kind: "prefix", value: row.key.slice(0, at + delimiter.length) };
        }
        if (entry.kind === "prefix" && entry.value === commonPrefixes.at(-1)) {
          cursor = { after: row.key };
          continue;
        }
        if (contents.length + commonPrefixes.length === maxKeys) {
          return { contents, commonPrefixes, isTruncated: true, nextAfter: lastEmitted };
        }
        if (entry.kind === "key") {
          contents.push(entry.object);
          lastEmitted = entry.object.key;
        } else {
          commonPrefixes.push(entry.value);
          // Continuing after the prefix itself would revisit its keys: continue after the last
          // key that could share it (the prefix followed by the highest code point).
          lastEmitted = `${entry.value}\u{10FFFF}`;
        }
        cursor = { after: entry.kind === "key" ? row.key : lastEmitted };
      }
      if (rows.length < batch) return { contents, commonPrefixes, isTruncated: false, nextAfter: undefined };
    }
  }
}
