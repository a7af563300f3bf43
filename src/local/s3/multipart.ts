import { createHash, randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import type { LocalContext } from "../context.js";
import { AwsServiceError } from "../aws-error.js";
import { createChecksumHasher, computeChecksum, DEFAULT_CHECKSUM_ALGORITHM, md5Hex, type ChecksumAlgorithm } from "./checksums.js";
import type { S3Service } from "./service.js";
import type { S3Store, StoredObject } from "./store.js";
import { malformedXml } from "./xml.js";

/**
 * Multipart upload limits:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html (checked 2026-11)
 */
export const MIN_PART_NUMBER = 1;
export const MAX_PART_NUMBER = 10_000;
/** Every part but the last must be at least this large. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_LIST_PARTS = 1000;
export const MAX_LIST_UPLOADS = 1000;

export type ChecksumType = "FULL_OBJECT" | "COMPOSITE";

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  /** Content headers and metadata given at creation, applied to the object at completion. */
  attributes: ObjectAttributes;
  checksumAlgorithm: ChecksumAlgorithm | undefined;
  checksumType: ChecksumType | undefined;
}

export interface ObjectAttributes {
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  contentDisposition?: string | undefined;
  contentLanguage?: string | undefined;
  cacheControl?: string | undefined;
  expires?: string | undefined;
  metadata: Record<string, string>;
}

export interface PartRecord {
  partNumber: number;
  blobId: string;
  size: number;
  md5: string;
  lastModified: number;
  checksumValue: string | undefined;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  attributes: string;
  checksum_algorithm: string | null;
  checksum_type: string | null;
}

interface PartRow {
  upload_id: string;
  part_number: number;
  blob_id: string;
  size: number;
  md5: string;
  last_modified: number;
  checksum_value: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS s3_uploads (
  upload_id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL REFERENCES s3_buckets(name),
  key TEXT NOT NULL,
  initiated INTEGER NOT NULL,
  attributes TEXT NOT NULL,
  checksum_algorithm TEXT,
  checksum_type TEXT
);
CREATE INDEX IF NOT EXISTS s3_uploads_by_key ON s3_uploads (bucket, key, initiated);
CREATE TABLE IF NOT EXISTS s3_parts (
  upload_id TEXT NOT NULL REFERENCES s3_uploads(upload_id) ON DELETE CASCADE,
  part_number INTEGER NOT NULL,
  blob_id TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  md5 TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  checksum_value TEXT,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
`;

function noSuchUpload(): AwsServiceError {
  return new AwsServiceError(
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    { status: 404 },
  );
}

function invalidPart(): AwsServiceError {
  return new AwsServiceError(
    "InvalidPart",
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
    { status: 400 },
  );
}

/** Which checksum types S3 allows per algorithm, and the default when only the algorithm is given. */
function resolveChecksumType(algorithm: ChecksumAlgorithm | undefined, requested: string | undefined): ChecksumType | undefined {
  if (algorithm === undefined) {
    if (requested !== undefined) {
      throw new AwsServiceError("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.", {
        status: 400,
      });
    }
    return undefined;
  }
  const type = requested?.toUpperCase() ?? (algorithm === "CRC64NVME" ? "FULL_OBJECT" : "COMPOSITE");
  if (type !== "FULL_OBJECT" && type !== "COMPOSITE") {
    throw new AwsServiceError("InvalidRequest", "Value for x-amz-checksum-type header is invalid.", { status: 400 });
  }
  if (type === "COMPOSITE" && algorithm === "CRC64NVME") {
    throw new AwsServiceError("InvalidRequest", "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.", { status: 400 });
  }
  if (type === "FULL_OBJECT" && (algorithm === "SHA1" || algorithm === "SHA256")) {
    throw new AwsServiceError("InvalidRequest", `The FULL_OBJECT checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`, {
      status: 400,
    });
  }
  return type;
}

/**
 * Multipart uploads: parts are stored as blobs like objects are, listed in s3_parts; completion
 * concatenates them into a new blob and commits the object in one transaction, removing the
 * upload. ETag and checksums follow S3: `md5(part md5s)-N`, and for COMPOSITE checksums the
 * checksum of the concatenated part checksums, suffixed `-N`.
 */
export class MultipartUploads {
  private readonly statements;

  constructor(
    private readonly context: LocalContext,
    private readonly db: Database.Database,
    private readonly store: S3Store,
    private readonly service: S3Service,
  ) {
    db.exec(SCHEMA);
    this.statements = {
      insertUpload: db.prepare(
        "INSERT INTO s3_uploads (upload_id, bucket, key, initiated, attributes, checksum_algorithm, checksum_type) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      getUpload: db.prepare<[string], UploadRow>("SELECT * FROM s3_uploads WHERE upload_id = ?"),
      deleteUpload: db.prepare("DELETE FROM s3_uploads WHERE upload_id = ?"),
      listUploads: db.prepare<[string, string, number], UploadRow>("SELECT * FROM s3_uploads WHERE bucket = ? AND key >= ? ORDER BY key, initiated LIMIT ?"),
      anyUpload: db.prepare<[string], { one: number }>("SELECT 1 AS one FROM s3_uploads WHERE bucket = ? LIMIT 1"),
      getPart: db.prepare<[string, number], PartRow>("SELECT * FROM s3_parts WHERE upload_id = ? AND part_number = ?"),
      upsertPart: db.prepare(
        `INSERT INTO s3_parts (upload_id, part_number, blob_id, size, md5, last_modified, checksum_value) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (upload_id, part_number) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, md5 = excluded.md5,
           last_modified = excluded.last_modified, checksum_value = excluded.checksum_value`,
      ),
      listParts: db.prepare<[string, number, number], PartRow>("SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?"),
      allParts: db.prepare<[string], PartRow>("SELECT * FROM s3_parts WHERE upload_id = ? ORDER BY part_number"),
    };
  }

  /** S3 refuses to delete a bucket with uploads in progress as well as with objects. */
  hasUploads(bucket: string): boolean {
    return this.statements.anyUpload.get(bucket) !== undefined;
  }

  create(input: {
    bucket: string;
    key: string;
    attributes: ObjectAttributes;
    checksumAlgorithm: ChecksumAlgorithm | undefined;
    checksumType: string | undefined;
  }): UploadRecord {
    this.service.requireBucket(input.bucket);
    this.service.assertValidKey(input.key);
    const checksumType = resolveChecksumType(input.checksumAlgorithm, input.checksumType);
    // Opaque and unguessable, like S3's.
    const uploadId = randomBytes(24).toString("base64url");
    const initiated = this.context.clock.now();
    this.statements.insertUpload.run(
      uploadId,
      input.bucket,
      input.key,
      initiated,
      JSON.stringify(input.attributes),
      input.checksumAlgorithm ?? null,
      checksumType ?? null,
    );
    return {
      uploadId,
      bucket: input.bucket,
      key: input.key,
      initiated,
      attributes: input.attributes,
      checksumAlgorithm: input.checksumAlgorithm,
      checksumType,
    };
  }

  get(bucket: string, key: string, uploadId: string): UploadRecord {
    this.service.requireBucket(bucket);
    const row = this.statements.getUpload.get(uploadId);
    if (row === undefined || row.bucket !== bucket || row.key !== key) throw noSuchUpload();
    return toUpload(row);
  }

  async uploadPart(input: {
    bucket: string;
    key: string;
    uploadId: string;
    partNumber: number;
    body: Buffer;
    checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  }): Promise<PartRecord> {
    if (!Number.isInteger(input.partNumber) || input.partNumber < MIN_PART_NUMBER || input.partNumber > MAX_PART_NUMBER) {
      throw new AwsServiceError("InvalidArgument", `Part number must be an integer between ${MIN_PART_NUMBER} and ${MAX_PART_NUMBER}, inclusive`, {
        status: 400,
      });
    }
    const upload = this.get(input.bucket, input.key, input.uploadId);
    if (input.checksum !== undefined && upload.checksumAlgorithm !== undefined && input.checksum.algorithm !== upload.checksumAlgorithm) {
      throw new AwsServiceError(
        "InvalidRequest",
        `Checksum Type mismatch occurred, expected checksum Type: ${upload.checksumAlgorithm.toLowerCase()}, actual checksum Type: ${input.checksum.algorithm.toLowerCase()}`,
        { status: 400 },
      );
    }
    // The part's checksum in the upload's algorithm: the client's (already verified) or ours.
    const checksumValue = upload.checksumAlgorithm === undefined ? undefined : (input.checksum?.value ?? computeChecksum(upload.checksumAlgorithm, input.body));
    const blobId = await this.store.writeBlob(input.body);
    const part: PartRecord = {
      partNumber: input.partNumber,
      blobId,
      size: input.body.length,
      md5: md5Hex(input.body),
      lastModified: this.context.clock.now(),
      checksumValue,
    };
    let replaced: string | undefined;
    try {
      replaced = this.db.transaction(() => {
        if (this.statements.getUpload.get(input.uploadId) === undefined) throw noSuchUpload();
        const previous = this.statements.getPart.get(input.uploadId, input.partNumber);
        this.statements.upsertPart.run(input.uploadId, part.partNumber, blobId, part.size, part.md5, part.lastModified, checksumValue ?? null);
        return previous?.blob_id;
      })();
    } catch (error) {
      await this.store.removeBlob(blobId);
      throw error;
    }
    if (replaced !== undefined) await this.store.removeBlob(replaced);
    return part;
  }

  listParts(
    bucket: string,
    key: string,
    uploadId: string,
    afterPart: number,
    maxParts: number,
  ): { upload: UploadRecord; parts: PartRecord[]; isTruncated: boolean } {
    const upload = this.get(bucket, key, uploadId);
    const rows = this.statements.listParts.all(uploadId, afterPart, Math.min(maxParts, MAX_LIST_PARTS) + 1);
    const limit = Math.min(maxParts, MAX_LIST_PARTS);
    return { upload, parts: rows.slice(0, limit).map(toPart), isTruncated: rows.length > limit };
  }

  listUploads(bucket: string, prefix: string, maxUploads: number): { uploads: UploadRecord[]; isTruncated: boolean } {
    this.service.requireBucket(bucket);
    const limit = Math.min(maxUploads, MAX_LIST_UPLOADS);
    const uploads: UploadRecord[] = [];
    for (const row of this.statements.listUploads.all(bucket, prefix, MAX_LIST_UPLOADS + 1)) {
      if (!row.key.startsWith(prefix)) break;
      uploads.push(toUpload(row));
    }
    return { uploads: uploads.slice(0, limit), isTruncated: uploads.length > limit };
  }

  async abort(bucket: string, key: string, uploadId: string): Promise<void> {
    this.get(bucket, key, uploadId);
    const blobIds = this.db.transaction(() => {
      const parts = this.statements.allParts.all(uploadId).map((p) => p.blob_id);
      this.statements.deleteUpload.run(uploadId);
      return parts;
    })();
    for (const blobId of blobIds) await this.store.removeBlob(blobId);
  }

  /**
   * CompleteMultipartUpload: the listed parts, in ascending order, each with the ETag (and
   * checksum) the client got for it, become the object.
   */
  async complete(input: {
    bucket: string;
    key: string;
    uploadId: string;
    parts: { partNumber: number; etag: string | undefined; checksum: string | undefined }[];
    /** A full-object checksum the client sent with the completion (FULL_OBJECT uploads). */
    fullObjectChecksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
    ifNoneMatch: boolean;
  }): Promise<StoredObject> {
    const upload = this.get(input.bucket, input.key, input.uploadId);
    if (input.parts.length === 0) {
      throw malformedXml();
    }
    const stored = new Map(this.statements.allParts.all(input.uploadId).map((row) => [row.part_number, toPart(row)]));
    const chosen: PartRecord[] = [];
    let previousNumber = 0;
    for (const requested of input.parts) {
      if (requested.partNumber <= previousNumber) {
        throw new AwsServiceError(
          "InvalidPartOrder",
          "The list of parts was not in ascending order. The parts list must be specified in order by part number.",
          {
            status: 400,
          },
        );
      }
      previousNumber = requested.partNumber;
      const part = stored.get(requested.partNumber);
      if (part === undefined) throw invalidPart();
      if (requested.etag !== undefined && requested.etag.replace(/"/g, "") !== part.md5) throw invalidPart();
      if (requested.checksum !== undefined && part.checksumValue !== undefined && requested.checksum !== part.checksumValue) throw invalidPart();
      if (upload.checksumType === "COMPOSITE" && requested.checksum === undefined) {
        throw new AwsServiceError(
          "InvalidRequest",
          `The upload was created using a ${upload.checksumAlgorithm!.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${requested.partNumber} in the request.`,
          { status: 400 },
        );
      }
      chosen.push(part);
    }
    for (const part of chosen.slice(0, -1)) {
      if (part.size < MIN_PART_BYTES) {
        throw new AwsServiceError("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", { status: 400 });
      }
    }

    const partsCount = chosen.length;
    const etagHash = createHash("md5");
    for (const part of chosen) etagHash.update(Buffer.from(part.md5, "hex"));
    const md5 = `${etagHash.digest("hex")}-${partsCount}`;

    const fullAlgorithm: ChecksumAlgorithm =
      upload.checksumType === "FULL_OBJECT" ? upload.checksumAlgorithm! : (upload.checksumAlgorithm ?? DEFAULT_CHECKSUM_ALGORITHM);
    const fullHasher = createChecksumHasher(fullAlgorithm);
    const { blobId, size } = await this.store.writeBlobFromParts(
      chosen.map((p) => p.blobId),
      (chunk) => fullHasher.update(chunk),
    );
    let checksumAlgorithm = fullAlgorithm;
    let checksumValue = fullHasher.digest().toString("base64");
    let checksumType: ChecksumType = "FULL_OBJECT";
    if (upload.checksumType === "COMPOSITE") {
      const composite = createChecksumHasher(upload.checksumAlgorithm!);
      for (const part of chosen) composite.update(Buffer.from(part.checksumValue!, "base64"));
      checksumAlgorithm = upload.checksumAlgorithm!;
      checksumValue = `${composite.digest().toString("base64")}-${partsCount}`;
      checksumType = "COMPOSITE";
    }
    if (input.fullObjectChecksum !== undefined) {
      if (upload.checksumType !== "FULL_OBJECT" || input.fullObjectChecksum.algorithm !== fullAlgorithm || input.fullObjectChecksum.value !== checksumValue) {
        await this.store.removeBlob(blobId);
        throw new AwsServiceError("BadDigest", `The ${input.fullObjectChecksum.algorithm} you specified did not match the calculated checksum.`, {
          status: 400,
        });
      }
    }

    const object: StoredObject = {
      bucket: input.bucket,
      key: input.key,
      blobId,
      size,
      md5,
      lastModified: this.context.clock.now(),
      contentType: upload.attributes.contentType,
      contentEncoding: upload.attributes.contentEncoding,
      contentDisposition: upload.attributes.contentDisposition,
      contentLanguage: upload.attributes.contentLanguage,
      cacheControl: upload.attributes.cacheControl,
      expires: upload.attributes.expires,
      metadata: upload.attributes.metadata,
      checksumAlgorithm,
      checksumValue,
      checksumType,
      partsCount,
    };
    let outcome: { replacedBlobId: string | undefined; conflict: boolean; partBlobs: string[] };
    try {
      outcome = this.db.transaction(() => {
        if (this.statements.getUpload.get(input.uploadId) === undefined) throw noSuchUpload();
        const result = this.store.commitObject(object, input.ifNoneMatch);
        if (result.conflict) return { ...result, partBlobs: [] };
        const partBlobs = this.statements.allParts.all(input.uploadId).map((p) => p.blob_id);
        this.statements.deleteUpload.run(input.uploadId);
        return { ...result, partBlobs };
      })();
    } catch (error) {
      await this.store.removeBlob(blobId);
      throw error;
    }
    if (outcome.conflict) {
      await this.store.removeBlob(blobId);
      throw new AwsServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { status: 412 });
    }
    for (const partBlob of outcome.partBlobs) await this.store.removeBlob(partBlob);
    if (outcome.replacedBlobId !== undefined) await this.store.removeBlob(outcome.replacedBlobId);
    return object;
  }
}

function toUpload(row: UploadRow): UploadRecord {
  return {
    uploadId: row.upload_id,
    bucket: row.bucket,
    key: row.key,
    initiated: row.initiated,
    attributes: JSON.parse(row.attributes) as ObjectAttributes,
    checksumAlgorithm: (row.checksum_algorithm ?? undefined) as ChecksumAlgorithm | undefined,
    checksumType: (row.checksum_type ?? undefined) as ChecksumType | undefined,
  };
}

function toPart(row: PartRow): PartRecord {
  return {
    partNumber: row.part_number,
    blobId: row.blob_id,
    size: row.size,
    md5: row.md5,
    lastModified: row.last_modified,
    checksumValue: row.checksum_value ?? undefined,
  };
}
