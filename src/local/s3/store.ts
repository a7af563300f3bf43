import { randomUUID } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, rmSync } from "node:fs";
import { open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type Database from "better-sqlite3";
import type { ChecksumAlgorithm } from "./checksums.js";
import type { EncryptionConfiguration, PublicAccessBlock, TagSet } from "./bucket-config.js";

/** What the store keeps about an object; its bytes live in a blob file named by `blobId`. */
export interface StoredObject {
  bucket: string;
  key: string;
  blobId: string;
  size: number;
  /** Hex MD5, unquoted. */
  md5: string;
  lastModified: number;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  contentDisposition: string | undefined;
  contentLanguage: string | undefined;
  cacheControl: string | undefined;
  expires: string | undefined;
  /** x-amz-meta-* (names lower-cased, without the prefix). */
  metadata: Record<string, string>;
  checksumAlgorithm: ChecksumAlgorithm;
  checksumValue: string;
  /** FULL_OBJECT, or COMPOSITE (a checksum of the part checksums, `…-N`) for multipart uploads. */
  checksumType: "FULL_OBJECT" | "COMPOSITE";
  /** Number of parts of a multipart upload; undefined for a single PUT. */
  partsCount: number | undefined;
}

export interface StoredBucket {
  name: string;
  region: string;
  createdAt: number;
  /** Sub-resources as configured, for the Get* calls to return; undefined when never set (or deleted). */
  encryption: EncryptionConfiguration | undefined;
  publicAccessBlock: PublicAccessBlock | undefined;
  tagging: TagSet | undefined;
  /** The policy document as sent. */
  policy: string | undefined;
}

/** A bucket's configurable sub-resources and what each holds. */
export interface BucketConfigurations {
  encryption: EncryptionConfiguration;
  publicAccessBlock: PublicAccessBlock;
  tagging: TagSet;
  policy: string;
}
export type BucketConfigurationName = keyof BucketConfigurations;
const CONFIGURATION_COLUMNS: Record<BucketConfigurationName, string> = {
  encryption: "encryption",
  publicAccessBlock: "public_access_block",
  tagging: "tagging",
  policy: "policy",
};

interface ObjectRow {
  bucket: string;
  key: string;
  blob_id: string;
  size: number;
  md5: string;
  last_modified: number;
  content_type: string | null;
  content_encoding: string | null;
  content_disposition: string | null;
  content_language: string | null;
  cache_control: string | null;
  expires: string | null;
  metadata: string;
  checksum_algorithm: string;
  checksum_value: string;
  checksum_type: string;
  parts_count: number | null;
}

interface BucketRow {
  name: string;
  region: string;
  created_at: number;
  encryption: string | null;
  public_access_block: string | null;
  tagging: string | null;
  policy: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS s3_buckets (
  name TEXT PRIMARY KEY,
  region TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  encryption TEXT,
  public_access_block TEXT,
  tagging TEXT,
  policy TEXT
);
CREATE TABLE IF NOT EXISTS s3_objects (
  bucket TEXT NOT NULL REFERENCES s3_buckets(name),
  key TEXT NOT NULL,
  blob_id TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  md5 TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  content_type TEXT,
  content_encoding TEXT,
  content_disposition TEXT,
  content_language TEXT,
  cache_control TEXT,
  expires TEXT,
  metadata TEXT NOT NULL,
  checksum_algorithm TEXT NOT NULL,
  checksum_value TEXT NOT NULL,
  checksum_type TEXT NOT NULL DEFAULT 'FULL_OBJECT',
  parts_count INTEGER,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
`;

/** Columns added after the first release of the table, for databases created before them. */
const ADDED_OBJECT_COLUMNS: Record<string, string> = {
  checksum_type: "TEXT NOT NULL DEFAULT 'FULL_OBJECT'",
  parts_count: "INTEGER",
};

const nullable = (value: string | null): string | undefined => (value === null ? undefined : value);
/** Bucket sub-resources are kept as JSON (the policy as the text it was sent as). */
const fromJson = <T>(value: string | null): T | undefined => (value === null ? undefined : (JSON.parse(value) as T));

function toObject(row: ObjectRow): StoredObject {
  return {
    bucket: row.bucket,
    key: row.key,
    blobId: row.blob_id,
    size: row.size,
    md5: row.md5,
    lastModified: row.last_modified,
    contentType: nullable(row.content_type),
    contentEncoding: nullable(row.content_encoding),
    contentDisposition: nullable(row.content_disposition),
    contentLanguage: nullable(row.content_language),
    cacheControl: nullable(row.cache_control),
    expires: nullable(row.expires),
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    checksumAlgorithm: row.checksum_algorithm as ChecksumAlgorithm,
    checksumValue: row.checksum_value,
    checksumType: row.checksum_type === "COMPOSITE" ? "COMPOSITE" : "FULL_OBJECT",
    partsCount: row.parts_count ?? undefined,
  };
}

function toBucket(row: BucketRow): StoredBucket {
  return {
    name: row.name,
    region: row.region,
    createdAt: row.created_at,
    encryption: fromJson<EncryptionConfiguration>(row.encryption),
    publicAccessBlock: fromJson<PublicAccessBlock>(row.public_access_block),
    tagging: fromJson<TagSet>(row.tagging),
    policy: nullable(row.policy),
  };
}

/**
 * Durable S3 storage: metadata in SQLite (s3_ tables, in the local cloud's one database), object
 * bytes in files under `dataDir/s3/blobs`. A key is never part of a file path: every stored body
 * gets a fresh random id, so no key (`../../etc/passwd`, NUL, 1,024 bytes of UTF-8) can reach the
 * file system. A put writes the blob to a temporary file, fsyncs it, renames it into place and
 * fsyncs the folder, and only then commits the row: an acknowledged put survives a crash, and a
 * crash before the commit leaves only an orphan blob, swept at the next start.
 */
export class S3Store {
  private readonly blobDir: string;
  private readonly statements;

  constructor(
    private readonly db: Database.Database,
    dataDir: string,
  ) {
    this.blobDir = join(dataDir, "s3", "blobs");
    mkdirSync(this.blobDir, { recursive: true, mode: 0o700 });
    db.exec(SCHEMA);
    const existing = new Set(
      db
        .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('s3_objects')")
        .all()
        .map((c) => c.name),
    );
    for (const [column, definition] of Object.entries(ADDED_OBJECT_COLUMNS)) {
      if (!existing.has(column)) db.exec(`ALTER TABLE s3_objects ADD COLUMN ${column} ${definition}`);
    }
    this.statements = {
      getBucket: db.prepare<[string], BucketRow>("SELECT * FROM s3_buckets WHERE name = ?"),
      listBuckets: db.prepare<[], BucketRow>("SELECT * FROM s3_buckets ORDER BY name"),
      insertBucket: db.prepare("INSERT OR IGNORE INTO s3_buckets (name, region, created_at) VALUES (?, ?, ?)"),
      deleteBucket: db.prepare("DELETE FROM s3_buckets WHERE name = ?"),
      anyObject: db.prepare<[string], { one: number }>("SELECT 1 AS one FROM s3_objects WHERE bucket = ? LIMIT 1"),
      getObject: db.prepare<[string, string], ObjectRow>("SELECT * FROM s3_objects WHERE bucket = ? AND key = ?"),
      upsertObject: db.prepare(
        `INSERT INTO s3_objects (bucket, key, blob_id, size, md5, last_modified, content_type, content_encoding,
           content_disposition, content_language, cache_control, expires, metadata, checksum_algorithm, checksum_value,
           checksum_type, parts_count)
         VALUES (@bucket, @key, @blobId, @size, @md5, @lastModified, @contentType, @contentEncoding,
           @contentDisposition, @contentLanguage, @cacheControl, @expires, @metadata, @checksumAlgorithm, @checksumValue,
           @checksumType, @partsCount)
         ON CONFLICT (bucket, key) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, md5 = excluded.md5,
           last_modified = excluded.last_modified, content_type = excluded.content_type,
           content_encoding = excluded.content_encoding, content_disposition = excluded.content_disposition,
           content_language = excluded.content_language, cache_control = excluded.cache_control,
           expires = excluded.expires, metadata = excluded.metadata, checksum_algorithm = excluded.checksum_algorithm,
           checksum_value = excluded.checksum_value, checksum_type = excluded.checksum_type, parts_count = excluded.parts_count`,
      ),
      deleteObject: db.prepare("DELETE FROM s3_objects WHERE bucket = ? AND key = ?"),
      listFrom: db.prepare<[string, string, number], ObjectRow>("SELECT * FROM s3_objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?"),
      listFromInclusive: db.prepare<[string, string, number], ObjectRow>("SELECT * FROM s3_objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?"),
      allBlobIds: db.prepare<[], { blob_id: string }>("SELECT blob_id FROM s3_objects"),
    };
    this.sweepOrphanBlobs();
  }

  getBucket(name: string): StoredBucket | undefined {
    const row = this.statements.getBucket.get(name);
    return row === undefined ? undefined : toBucket(row);
  }

  listBuckets(): StoredBucket[] {
    return this.statements.listBuckets.all().map(toBucket);
  }

  /** False when the bucket already exists. */
  insertBucket(name: string, region: string, createdAt: number): boolean {
    const result = this.statements.insertBucket.run(name, region, createdAt);
    return result.changes === 1;
  }

  /**
   * "missing" | "not-empty" | "deleted", decided and applied atomically. Multipart uploads still in
   * progress go with the bucket; the blobs of their parts are returned for removal.
   */
  deleteBucket(name: string): { outcome: "missing" | "not-empty" | "deleted"; partBlobIds: string[] } {
    return this.db.transaction((): { outcome: "missing" | "not-empty" | "deleted"; partBlobIds: string[] } => {
      if (this.statements.getBucket.get(name) === undefined) return { outcome: "missing", partBlobIds: [] };
      if (this.statements.anyObject.get(name) !== undefined) return { outcome: "not-empty", partBlobIds: [] };
      let partBlobIds: string[] = [];
      if (this.hasMultipartTables()) {
        partBlobIds = this.db
          .prepare<[string], { blob_id: string }>("SELECT p.blob_id FROM s3_parts p JOIN s3_uploads u ON u.upload_id = p.upload_id WHERE u.bucket = ?")
          .all(name)
          .map((row) => row.blob_id);
        this.db.prepare("DELETE FROM s3_uploads WHERE bucket = ?").run(name);
      }
      this.statements.deleteBucket.run(name);
      return { outcome: "deleted", partBlobIds };
    })();
  }

  private hasMultipartTables(): boolean {
    return this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 's3_parts'").get() !== undefined;
  }

  setBucketConfiguration<K extends BucketConfigurationName>(name: string, which: K, value: BucketConfigurations[K] | undefined): void {
    const stored = value === undefined ? null : typeof value === "string" ? value : JSON.stringify(value);
    this.db.prepare(`UPDATE s3_buckets SET ${CONFIGURATION_COLUMNS[which]} = ? WHERE name = ?`).run(stored, name);
  }

  getObject(bucket: string, key: string): StoredObject | undefined {
    const row = this.statements.getObject.get(bucket, key);
    return row === undefined ? undefined : toObject(row);
  }

  /**
   * Rows in key order after `after` (exclusive) or from `from` (inclusive). Keys compare as
   * SQLite BINARY, i.e. by UTF-8 bytes, which is the order S3 lists in.
   */
  listObjects(bucket: string, cursor: { after: string } | { from: string }, limit: number): StoredObject[] {
    const rows =
      "after" in cursor ? this.statements.listFrom.all(bucket, cursor.after, limit) : this.statements.listFromInclusive.all(bucket, cursor.from, limit);
    return rows.map(toObject);
  }

  /** Writes the body durably to a new blob file; returns its id. The row is not written yet. */
  async writeBlob(body: Uint8Array): Promise<string> {
    const blobId = randomUUID();
    const finalPath = this.blobPath(blobId);
    const temporary = `${finalPath}.tmp`;
    const handle = await open(temporary, "w", 0o600);
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, finalPath);
    this.syncBlobDir();
    return blobId;
  }

  /**
   * Makes the blob the object's content in one transaction; the blob it replaces (if any) is
   * returned for deletion once no reader can be holding its row.
   */
  commitObject(object: StoredObject, mustNotExist = false): { replacedBlobId: string | undefined; conflict: boolean } {
    return this.db.transaction(() => {
      const previous = this.statements.getObject.get(object.bucket, object.key);
      if (mustNotExist && previous !== undefined) return { replacedBlobId: undefined, conflict: true };
      this.statements.upsertObject.run({
        ...object,
        contentType: object.contentType ?? null,
        contentEncoding: object.contentEncoding ?? null,
        contentDisposition: object.contentDisposition ?? null,
        contentLanguage: object.contentLanguage ?? null,
        cacheControl: object.cacheControl ?? null,
        expires: object.expires ?? null,
        metadata: JSON.stringify(object.metadata),
        partsCount: object.partsCount ?? null,
      });
      return { replacedBlobId: previous?.blob_id, conflict: false };
    })();
  }

  /** Removes the row; returns the blob id to delete, or undefined if there was no such object. */
  deleteObject(bucket: string, key: string): string | undefined {
    return this.db.transaction(() => {
      const previous = this.statements.getObject.get(bucket, key);
      if (previous === undefined) return undefined;
      this.statements.deleteObject.run(bucket, key);
      return previous.blob_id;
    })();
  }

  /** The body, or undefined if the blob was replaced between reading the row and opening the file. */
  async readBlob(blobId: string, range?: { start: number; end: number }): Promise<Buffer | undefined> {
    try {
      if (range === undefined) return await readFile(this.blobPath(blobId));
      const handle = await open(this.blobPath(blobId), "r");
      try {
        const length = range.end - range.start + 1;
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, range.start);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /**
   * Writes the concatenation of existing blobs as a new blob (multipart completion), durably as
   * writeBlob does; `observe` sees every chunk, for checksums computed on the way.
   */
  async writeBlobFromParts(partBlobIds: string[], observe: (chunk: Buffer) => void): Promise<{ blobId: string; size: number }> {
    const blobId = randomUUID();
    const finalPath = this.blobPath(blobId);
    const temporary = `${finalPath}.tmp`;
    const handle = await open(temporary, "w", 0o600);
    let size = 0;
    try {
      for (const partBlobId of partBlobIds) {
        const chunk = await readFile(this.blobPath(partBlobId));
        observe(chunk);
        await handle.write(chunk);
        size += chunk.length;
      }
      await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temporary, { force: true });
      throw error;
    }
    await handle.close();
    await rename(temporary, finalPath);
    this.syncBlobDir();
    return { blobId, size };
  }

  async removeBlob(blobId: string): Promise<void> {
    await rm(this.blobPath(blobId), { force: true });
  }

  private blobPath(blobId: string): string {
    if (!/^[0-9a-f-]{36}$/.test(blobId)) throw new Error(`not a blob id: ${blobId}`);
    return join(this.blobDir, blobId);
  }

  /** A rename is durable only once the folder that holds it is synced. */
  private syncBlobDir(): void {
    const fd = openSync(this.blobDir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Blobs held by other tables (multipart parts); the multipart store creates its tables first. */
  private extraReferencedBlobs(): string[] {
    if (!this.hasMultipartTables()) return [];
    return this.db
      .prepare<[], { blob_id: string }>("SELECT blob_id FROM s3_parts")
      .all()
      .map((row) => row.blob_id);
  }

  /** Blobs no row points to are left by a crash between the file write and the commit. */
  private sweepOrphanBlobs(): void {
    const referenced = new Set(this.statements.allBlobIds.all().map((row) => row.blob_id));
    for (const id of this.extraReferencedBlobs()) referenced.add(id);
    for (const name of readdirSync(this.blobDir)) {
      if (!referenced.has(name)) rmSync(join(this.blobDir, name), { force: true });
    }
  }
}
