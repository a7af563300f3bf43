import { createHash } from "node:crypto";
import type { LocalContext } from "../context.js";
import type { HttpHandler, LocalRequest, LocalResponse } from "../server/http-types.js";
import { headerValue } from "../server/http-types.js";
import { AwsServiceError, isAwsServiceError } from "../aws-error.js";
import { CHECKSUM_ALGORITHMS, checksumHeaderName, computeChecksum, parseChecksumAlgorithm, type ChecksumAlgorithm } from "./checksums.js";
import { verifyRequestBody, requireIntegrityHeader } from "./request-body.js";
import { childrenNamed, childText, parseXmlBody, S3_XMLNS } from "./xml.js";
import { el, xmlDocument, type Xml } from "../server/xml.js";
import { MAX_DELETE_OBJECTS, MAX_LIST_KEYS, type S3Service } from "./service.js";
import { MAX_LIST_PARTS, MAX_LIST_UPLOADS, type UploadRecord } from "./multipart.js";
import type { StoredObject } from "./store.js";
import {
  DEFAULT_ENCRYPTION,
  DEFAULT_PUBLIC_ACCESS_BLOCK,
  parseEncryption,
  parsePolicy,
  parsePublicAccessBlock,
  parseTagging,
  renderEncryption,
  renderPublicAccessBlock,
  renderTagging,
  type EncryptionConfiguration,
  type PublicAccessBlock,
  type TagSet,
} from "./bucket-config.js";

/**
 * The S3 REST protocol, path-style (`http://127.0.0.1:PORT/bucket/key`), as @aws-sdk/client-s3
 * sends it with `forcePathStyle: true` and as the AWS CLI sends it to an IP endpoint. Requests
 * become S3Service calls; AwsServiceError becomes S3's `<Error>` document in one place (toErrorResponse).
 */

type Route = (request: LocalRequest, target: Target) => Promise<LocalResponse> | LocalResponse;

interface Target {
  bucket: string | undefined;
  key: string | undefined;
}

/** Query parameters that select a sub-resource of a bucket or object (rather than filter a listing). */
const BUCKET_SUBRESOURCES = [
  "encryption",
  "publicAccessBlock",
  "tagging",
  "policy",
  "location",
  "versioning",
  "delete",
  "uploads",
  "acl",
  "cors",
  "lifecycle",
  "website",
  "notification",
  "ownershipControls",
  "logging",
  "replication",
  "object-lock",
  "accelerate",
  "requestPayment",
  "analytics",
  "metrics",
  "inventory",
  "intelligent-tiering",
] as const;
const OBJECT_SUBRESOURCES = ["uploads", "uploadId", "tagging", "acl", "retention", "legal-hold", "attributes", "restore", "torrent", "select"] as const;

/** Response-header overrides a GET may carry (presigned download links use them). */
const RESPONSE_OVERRIDES: Record<string, string> = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
};

function splitPath(rawPath: string): Target {
  const path = rawPath.startsWith("/") ? rawPath.slice(1) : rawPath;
  if (path === "") return { bucket: undefined, key: undefined };
  const slash = path.indexOf("/");
  const decode = (text: string): string => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw new AwsServiceError("InvalidURI", "Couldn't parse the specified URI.", { status: 400 });
    }
  };
  if (slash === -1) return { bucket: decode(path), key: undefined };
  const key = path.slice(slash + 1);
  // The key is everything after the bucket's slash, exactly as sent: no dot-segment
  // normalisation, so `a/../b` is the key `a/../b`, as on S3.
  return { bucket: decode(path.slice(0, slash)), key: key === "" ? undefined : decode(key) };
}

/** The region a SigV4 request was signed for (the credential scope), if it was signed. */
function signedRegion(request: LocalRequest): string | undefined {
  const credential = headerValue(request, "authorization")?.match(/Credential=([^,\s]+)/)?.[1] ?? request.query.get("X-Amz-Credential") ?? undefined;
  const parts = credential?.split("/");
  return parts !== undefined && parts.length >= 5 ? parts[parts.length - 3] : undefined;
}

function has(request: LocalRequest, name: string): boolean {
  return request.query.has(name);
}

function httpDate(epochMs: number): string {
  return new Date(epochMs).toUTCString();
}

function isoDate(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** `root` carries S3's namespace (built with S3_XMLNS), as every S3 reply but an error does. */
function xmlReply(root: Xml, status = 200, headers: Record<string, string> = {}): LocalResponse {
  return { status, headers: { "content-type": "application/xml", ...headers }, body: xmlDocument(root) };
}

function empty(status: number, headers: Record<string, string> = {}): LocalResponse {
  return { status, headers: { ...headers, "content-length": "0" } };
}

function notImplemented(what: string): AwsServiceError {
  return new AwsServiceError("NotImplemented", `${what} is not implemented by the wsq local cloud.`, { status: 501 });
}

function methodNotAllowed(): AwsServiceError {
  return new AwsServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", { status: 405 });
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n`. Unparseable or multi-range headers are ignored, as S3 does. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, first, last] = match;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== "" && Number(last) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

function objectHeaders(object: StoredObject, request: LocalRequest, encryption: EncryptionConfiguration): Record<string, string> {
  const headers: Record<string, string> = {
    etag: `"${object.md5}"`,
    "last-modified": httpDate(object.lastModified),
    "accept-ranges": "bytes",
    "content-type": object.contentType ?? "binary/octet-stream",
    "x-amz-server-side-encryption": encryption.algorithm,
  };
  if (object.contentEncoding) headers["content-encoding"] = object.contentEncoding;
  if (object.contentDisposition) headers["content-disposition"] = object.contentDisposition;
  if (object.contentLanguage) headers["content-language"] = object.contentLanguage;
  if (object.cacheControl) headers["cache-control"] = object.cacheControl;
  if (object.expires) headers.expires = object.expires;
  for (const [name, value] of Object.entries(object.metadata)) headers[`x-amz-meta-${name}`] = value;
  for (const [parameter, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const override = request.query.get(parameter);
    if (override !== null) headers[header] = override;
  }
  return headers;
}

/** If-Match / If-None-Match / If-(Un)Modified-Since, in the precedence RFC 9110 and S3 use. */
function preconditionOutcome(request: LocalRequest, object: StoredObject): "ok" | 304 | 412 {
  const etag = `"${object.md5}"`;
  const matches = (list: string): boolean => list.split(",").some((t) => t.trim() === "*" || t.trim() === etag || t.trim() === object.md5);
  const ifMatch = headerValue(request, "if-match");
  const ifNoneMatch = headerValue(request, "if-none-match");
  const ifModifiedSince = headerValue(request, "if-modified-since");
  const ifUnmodifiedSince = headerValue(request, "if-unmodified-since");
  const modifiedSeconds = Math.floor(object.lastModified / 1000);
  if (ifMatch !== undefined) {
    if (!matches(ifMatch)) return 412;
  } else if (ifUnmodifiedSince !== undefined) {
    const since = Date.parse(ifUnmodifiedSince);
    if (!Number.isNaN(since) && modifiedSeconds > Math.floor(since / 1000)) return 412;
  }
  if (ifNoneMatch !== undefined) {
    if (matches(ifNoneMatch)) return 304;
  } else if (ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    if (!Number.isNaN(since) && modifiedSeconds <= Math.floor(since / 1000)) return 304;
  }
  return "ok";
}

function userMetadata(request: LocalRequest): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith("x-amz-meta-") && value !== undefined) metadata[name.slice("x-amz-meta-".length)] = Array.isArray(value) ? value.join(",") : value;
  }
  return metadata;
}

/** Continuation tokens are opaque to clients; this one carries the key to continue after. */
const TOKEN_PREFIX = "wsq1:";
function encodeToken(after: string): string {
  return Buffer.from(`${TOKEN_PREFIX}${after}`, "utf8").toString("base64");
}
function decodeToken(token: string): string {
  const text = Buffer.from(token, "base64").toString("utf8");
  if (!text.startsWith(TOKEN_PREFIX)) {
    throw new AwsServiceError("InvalidArgument", "The continuation token provided is incorrect", { status: 400 });
  }
  return text.slice(TOKEN_PREFIX.length);
}

function parseMaxKeys(value: string | null, name: string): number {
  if (value === null) return MAX_LIST_KEYS;
  if (!/^\d+$/.test(value)) throw new AwsServiceError("InvalidArgument", `Provided ${name} not an integer or within integer range`, { status: 400 });
  return Math.min(Number(value), MAX_LIST_KEYS);
}

export function createS3RestHandler(context: LocalContext, service: S3Service): HttpHandler {
  const owner = {
    id: createHash("sha256").update(`wsq-local-${context.accountId}`).digest("hex"),
    displayName: "wsq-local",
  };
  const ownerNode = (): Xml => el("Owner", [el("ID", owner.id), el("DisplayName", owner.displayName)]);

  const bucketEncryption = (bucket: string): EncryptionConfiguration => {
    const stored = service.requireBucket(bucket).encryption;
    return stored === undefined ? DEFAULT_ENCRYPTION : (JSON.parse(stored) as EncryptionConfiguration);
  };

  const requireBucketName = (target: Target): string => {
    if (target.bucket === undefined) throw methodNotAllowed();
    return target.bucket;
  };

  // ---------------------------------------------------------------- service
  const listBuckets: Route = (request) => {
    const prefix = request.query.get("prefix") ?? "";
    const buckets = service.listBuckets().filter((b) => b.name.startsWith(prefix));
    return xmlReply(
      el(
        "ListAllMyBucketsResult",
        [
          ownerNode(),
          el(
            "Buckets",
            buckets.map((b) => el("Bucket", [el("Name", b.name), el("CreationDate", isoDate(b.createdAt)), el("BucketRegion", b.region)])),
          ),
          ...(prefix ? [el("Prefix", prefix)] : []),
        ],
        S3_XMLNS,
      ),
    );
  };

  // ---------------------------------------------------------------- buckets
  const createBucket: Route = (request, target) => {
    const bucket = requireBucketName(target);
    const requestRegion = signedRegion(request) ?? context.region;
    let locationConstraint: string | undefined;
    const verified = verifyRequestBody(request);
    if (verified.body.length > 0) {
      const root = parseXmlBody(verified.body, "CreateBucketConfiguration");
      locationConstraint = childText(root, "LocationConstraint");
    }
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html: the constraint must
    // name the region the request went to, and us-east-1 is the absence of one.
    if (locationConstraint === "us-east-1") {
      throw new AwsServiceError("InvalidLocationConstraint", "The specified location-constraint is not valid", { status: 400 });
    }
    const bucketRegion = locationConstraint ?? "us-east-1";
    if (bucketRegion !== requestRegion) {
      throw new AwsServiceError(
        "IllegalLocationConstraintException",
        locationConstraint === undefined
          ? "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to."
          : `The ${locationConstraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
        { status: 400 },
      );
    }
    service.createBucketIn(bucket, bucketRegion);
    return empty(200, { location: `/${bucket}` });
  };

  const headBucket: Route = (_request, target) => {
    const bucket = service.requireBucket(requireBucketName(target));
    return empty(200, { "x-amz-bucket-region": bucket.region, "x-amz-access-point-alias": "false" });
  };

  const deleteBucket: Route = async (_request, target) => {
    await service.deleteBucket(requireBucketName(target));
    return empty(204);
  };

  const listObjects: Route = (request, target) => {
    const bucket = requireBucketName(target);
    const v2 = request.query.get("list-type") === "2";
    const prefix = request.query.get("prefix") ?? "";
    const delimiter = request.query.get("delimiter") ?? "";
    const maxKeys = parseMaxKeys(request.query.get("max-keys"), "max-keys");
    const urlEncoded = request.query.get("encoding-type") === "url";
    if (request.query.has("encoding-type") && !urlEncoded) {
      throw new AwsServiceError("InvalidArgument", "Invalid Encoding Method specified in Request", { status: 400 });
    }
    const encode = (text: string): string => (urlEncoded ? encodeURIComponent(text).replace(/%2F/g, "/") : text);
    const continuationToken = v2 ? request.query.get("continuation-token") : null;
    const startAfter = v2 ? request.query.get("start-after") : request.query.get("marker");
    let after: string | undefined = startAfter ?? undefined;
    if (continuationToken !== null) after = decodeToken(continuationToken);
    const result = service.list({ bucket, prefix, delimiter, maxKeys, ...(after !== undefined ? { after } : {}) });
    const fetchOwner = request.query.get("fetch-owner") === "true";
    const contents = result.contents.map((o) =>
      el("Contents", [
        el("Key", encode(o.key)),
        el("LastModified", isoDate(o.lastModified)),
        el("ETag", `"${o.md5}"`),
        el("ChecksumAlgorithm", o.checksumAlgorithm),
        el("ChecksumType", o.checksumType),
        el("Size", o.size),
        ...(fetchOwner || !v2 ? [ownerNode()] : []),
        el("StorageClass", "STANDARD"),
      ]),
    );
    const prefixes = result.commonPrefixes.map((p) => el("CommonPrefixes", [el("Prefix", encode(p))]));
    const common: Xml[] = [
      el("Name", bucket),
      el("Prefix", encode(prefix)),
      ...(delimiter ? [el("Delimiter", encode(delimiter))] : []),
      el("MaxKeys", maxKeys),
      ...(urlEncoded ? [el("EncodingType", "url")] : []),
      el("IsTruncated", result.isTruncated),
    ];
    if (v2) {
      return xmlReply(
        el(
          "ListBucketResult",
          [
            ...common,
            el("KeyCount", result.contents.length + result.commonPrefixes.length),
            ...(continuationToken !== null ? [el("ContinuationToken", continuationToken)] : []),
            ...(result.isTruncated && result.nextAfter !== undefined ? [el("NextContinuationToken", encodeToken(result.nextAfter))] : []),
            ...(startAfter !== null ? [el("StartAfter", encode(startAfter))] : []),
            ...contents,
            ...prefixes,
          ],
          S3_XMLNS,
        ),
      );
    }
    // V1: NextMarker only with a delimiter (without one, clients continue after the last key).
    return xmlReply(
      el(
        "ListBucketResult",
        [
          ...common,
          el("Marker", encode(startAfter ?? "")),
          ...(result.isTruncated && delimiter && result.nextAfter !== undefined ? [el("NextMarker", encode(result.nextAfter))] : []),
          ...contents,
          ...prefixes,
        ],
        S3_XMLNS,
      ),
    );
  };

  const deleteObjects: Route = async (request, target) => {
    const bucket = requireBucketName(target);
    const verified = verifyRequestBody(request);
    requireIntegrityHeader(verified);
    const root = parseXmlBody(verified.body, "Delete");
    const objects = childrenNamed(root, "Object");
    if (objects.length === 0 || objects.length > MAX_DELETE_OBJECTS) {
      throw new AwsServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", { status: 400 });
    }
    const quiet = childText(root, "Quiet") === "true";
    service.requireBucket(bucket);
    const nodes: Xml[] = [];
    for (const object of objects) {
      const key = childText(object, "Key");
      if (key === undefined) {
        throw new AwsServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", {
          status: 400,
        });
      }
      try {
        await service.deleteObject(bucket, key);
        if (!quiet) nodes.push(el("Deleted", [el("Key", key)]));
      } catch (error) {
        if (!isAwsServiceError(error)) throw error;
        nodes.push(el("Error", [el("Key", key), el("Code", error.code), el("Message", error.message)]));
      }
    }
    return xmlReply(el("DeleteResult", nodes, S3_XMLNS));
  };

  const bucketSubresource = async (request: LocalRequest, target: Target): Promise<LocalResponse | undefined> => {
    const bucket = requireBucketName(target);
    const method = request.method;
    if (has(request, "encryption")) {
      if (method === "PUT") {
        const verified = verifyRequestBody(request);
        requireIntegrityHeader(verified);
        service.setBucketConfiguration(bucket, "encryption", JSON.stringify(parseEncryption(verified.body)));
        return empty(200);
      }
      if (method === "GET") return xmlReply(renderEncryption(bucketEncryption(bucket)));
      if (method === "DELETE") {
        service.setBucketConfiguration(bucket, "encryption", undefined);
        return empty(204);
      }
      throw methodNotAllowed();
    }
    if (has(request, "publicAccessBlock")) {
      if (method === "PUT") {
        const verified = verifyRequestBody(request);
        requireIntegrityHeader(verified);
        service.setBucketConfiguration(bucket, "publicAccessBlock", JSON.stringify(parsePublicAccessBlock(verified.body)));
        return empty(200);
      }
      if (method === "GET") {
        const stored = service.requireBucket(bucket).publicAccessBlock;
        return xmlReply(renderPublicAccessBlock(stored === undefined ? DEFAULT_PUBLIC_ACCESS_BLOCK : (JSON.parse(stored) as PublicAccessBlock)));
      }
      if (method === "DELETE") {
        service.setBucketConfiguration(
          bucket,
          "publicAccessBlock",
          JSON.stringify({ BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false }),
        );
        return empty(204);
      }
      throw methodNotAllowed();
    }
    if (has(request, "tagging")) {
      if (method === "PUT") {
        const verified = verifyRequestBody(request);
        requireIntegrityHeader(verified);
        service.setBucketConfiguration(bucket, "tagging", JSON.stringify(parseTagging(verified.body)));
        return empty(204);
      }
      if (method === "GET") {
        const stored = service.requireBucket(bucket).tagging;
        if (stored === undefined) throw new AwsServiceError("NoSuchTagSet", "The TagSet does not exist", { status: 404 });
        return xmlReply(renderTagging(JSON.parse(stored) as TagSet));
      }
      if (method === "DELETE") {
        service.setBucketConfiguration(bucket, "tagging", undefined);
        return empty(204);
      }
      throw methodNotAllowed();
    }
    if (has(request, "policy")) {
      if (method === "PUT") {
        service.setBucketConfiguration(bucket, "policy", parsePolicy(verifyRequestBody(request).body));
        return empty(204);
      }
      if (method === "GET") {
        const stored = service.requireBucket(bucket).policy;
        if (stored === undefined) throw new AwsServiceError("NoSuchBucketPolicy", "The bucket policy does not exist", { status: 404 });
        return { status: 200, headers: { "content-type": "application/json" }, body: stored };
      }
      if (method === "DELETE") {
        service.setBucketConfiguration(bucket, "policy", undefined);
        return empty(204);
      }
      throw methodNotAllowed();
    }
    if (has(request, "location") && method === "GET") {
      const region = service.requireBucket(bucket).region;
      return xmlReply(el("LocationConstraint", region === "us-east-1" ? "" : region, S3_XMLNS));
    }
    if (has(request, "versioning") && method === "GET") {
      service.requireBucket(bucket);
      return xmlReply(el("VersioningConfiguration", [], S3_XMLNS));
    }
    if (has(request, "delete") && method === "POST") return deleteObjects(request, target);
    if (has(request, "uploads") && method === "GET") return listMultipartUploads(request, target);
    const named = BUCKET_SUBRESOURCES.find((name) => has(request, name));
    if (named !== undefined) throw notImplemented(`The bucket sub-resource ?${named} (${method})`);
    return undefined;
  };

  // ---------------------------------------------------------------- objects
  const putObject: Route = async (request, target) => {
    const bucket = requireBucketName(target);
    const key = target.key!;
    if (headerValue(request, "x-amz-copy-source") !== undefined) return copyObject(request, target);
    const verified = verifyRequestBody(request);
    const ifNoneMatch = headerValue(request, "if-none-match");
    if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") {
      throw new AwsServiceError("NotImplemented", "A header you provided implies functionality that is not implemented", { status: 501 });
    }
    const stored = await service.put({
      bucket,
      key,
      body: verified.body,
      contentType: headerValue(request, "content-type"),
      contentEncoding: verified.contentEncoding,
      contentDisposition: headerValue(request, "content-disposition"),
      contentLanguage: headerValue(request, "content-language"),
      cacheControl: headerValue(request, "cache-control"),
      expires: headerValue(request, "expires"),
      metadata: userMetadata(request),
      ...(verified.checksum ? { checksum: verified.checksum } : {}),
      ifNoneMatch: ifNoneMatch !== undefined,
    });
    return empty(200, {
      etag: `"${stored.md5}"`,
      [checksumHeaderName(stored.checksumAlgorithm)]: stored.checksumValue,
      "x-amz-checksum-type": "FULL_OBJECT",
      "x-amz-server-side-encryption": bucketEncryption(bucket).algorithm,
    });
  };

  const copyObject: Route = async (request, target) => {
    const bucket = requireBucketName(target);
    const source = splitPath(`/${(headerValue(request, "x-amz-copy-source") ?? "").replace(/^\//, "").split("?")[0]}`);
    if (source.bucket === undefined || source.key === undefined) {
      throw new AwsServiceError("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", { status: 400 });
    }
    const { object, body } = await service.read(source.bucket, source.key);
    const replace = headerValue(request, "x-amz-metadata-directive") === "REPLACE";
    if (!replace && source.bucket === bucket && source.key === target.key) {
      throw new AwsServiceError(
        "InvalidRequest",
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        { status: 400 },
      );
    }
    const stored = await service.put({
      bucket,
      key: target.key!,
      body,
      contentType: replace ? headerValue(request, "content-type") : object.contentType,
      contentEncoding: replace ? headerValue(request, "content-encoding") : object.contentEncoding,
      contentDisposition: replace ? headerValue(request, "content-disposition") : object.contentDisposition,
      contentLanguage: replace ? headerValue(request, "content-language") : object.contentLanguage,
      cacheControl: replace ? headerValue(request, "cache-control") : object.cacheControl,
      expires: replace ? headerValue(request, "expires") : object.expires,
      metadata: replace ? userMetadata(request) : object.metadata,
      // A composite (multipart) checksum describes parts the copy does not have.
      checksum: {
        algorithm: object.checksumAlgorithm,
        value: object.checksumType === "COMPOSITE" ? computeChecksum(object.checksumAlgorithm, body) : object.checksumValue,
      },
    });
    return xmlReply(
      el(
        "CopyObjectResult",
        [
          el("ETag", `"${stored.md5}"`),
          el("LastModified", isoDate(stored.lastModified)),
          el(`Checksum${stored.checksumAlgorithm}`, stored.checksumValue),
          el("ChecksumType", "FULL_OBJECT"),
        ],
        S3_XMLNS,
      ),
      200,
      { "x-amz-server-side-encryption": bucketEncryption(bucket).algorithm },
    );
  };

  const getOrHeadObject = async (request: LocalRequest, target: Target, withBody: boolean): Promise<LocalResponse> => {
    const bucket = requireBucketName(target);
    const key = target.key!;
    const object = service.head(bucket, key);
    const precondition = preconditionOutcome(request, object);
    const base = objectHeaders(object, request, bucketEncryption(bucket));
    if (precondition === 304) {
      return empty(304, { etag: base.etag!, "last-modified": base["last-modified"]! });
    }
    if (precondition === 412) {
      throw new AwsServiceError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { status: 412 });
    }
    const range = parseRange(headerValue(request, "range"), object.size);
    if (range === "unsatisfiable") {
      const error = new AwsServiceError("InvalidRange", "The requested range is not satisfiable", { status: 416 });
      throw Object.assign(error, { extraHeaders: { "content-range": `bytes */${object.size}` } });
    }
    const checksumWanted = headerValue(request, "x-amz-checksum-mode")?.toUpperCase() === "ENABLED";
    // A checksum describes the whole object, so a range reply does not carry it (as on S3).
    const checksumHeaders: Record<string, string> =
      checksumWanted && range === undefined
        ? { [checksumHeaderName(object.checksumAlgorithm)]: object.checksumValue, "x-amz-checksum-type": object.checksumType }
        : {};
    if (!withBody) {
      return { status: 200, headers: { ...base, ...checksumHeaders, "content-length": String(object.size) } };
    }
    const { object: current, body } = await service.read(bucket, key, range);
    if (current.blobId !== object.blobId) {
      // Replaced between the head and the read: answer with what was read, consistently.
      return getOrHeadObject(request, target, withBody);
    }
    if (range !== undefined) {
      return {
        status: 206,
        headers: { ...base, "content-range": `bytes ${range.start}-${range.end}/${object.size}`, "content-length": String(body.length) },
        body,
      };
    }
    return { status: 200, headers: { ...base, ...checksumHeaders, "content-length": String(body.length) }, body };
  };

  const deleteObject: Route = async (_request, target) => {
    await service.deleteObject(requireBucketName(target), target.key!);
    return empty(204);
  };

  // ---------------------------------------------------------------- multipart
  const uploadNode = (upload: UploadRecord): Xml[] => [
    el("Initiator", [el("ID", owner.id), el("DisplayName", owner.displayName)]),
    ownerNode(),
    el("StorageClass", "STANDARD"),
    ...(upload.checksumAlgorithm ? [el("ChecksumAlgorithm", upload.checksumAlgorithm), el("ChecksumType", upload.checksumType)] : []),
  ];

  const multipartHeaders = (upload: UploadRecord): Record<string, string> =>
    upload.checksumAlgorithm ? { "x-amz-checksum-algorithm": upload.checksumAlgorithm, "x-amz-checksum-type": upload.checksumType! } : {};

  const createMultipartUpload: Route = (request, target) => {
    const bucket = requireBucketName(target);
    const algorithmHeader = headerValue(request, "x-amz-checksum-algorithm");
    const checksumAlgorithm = algorithmHeader === undefined ? undefined : parseChecksumAlgorithm(algorithmHeader);
    if (algorithmHeader !== undefined && checksumAlgorithm === undefined) {
      throw new AwsServiceError(
        "InvalidRequest",
        "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
        {
          status: 400,
        },
      );
    }
    const upload = service.multipart.create({
      bucket,
      key: target.key!,
      attributes: {
        contentType: headerValue(request, "content-type"),
        contentEncoding: headerValue(request, "content-encoding"),
        contentDisposition: headerValue(request, "content-disposition"),
        contentLanguage: headerValue(request, "content-language"),
        cacheControl: headerValue(request, "cache-control"),
        expires: headerValue(request, "expires"),
        metadata: userMetadata(request),
      },
      checksumAlgorithm,
      checksumType: headerValue(request, "x-amz-checksum-type"),
    });
    return xmlReply(el("InitiateMultipartUploadResult", [el("Bucket", bucket), el("Key", upload.key), el("UploadId", upload.uploadId)], S3_XMLNS), 200, {
      ...multipartHeaders(upload),
      "x-amz-server-side-encryption": bucketEncryption(bucket).algorithm,
    });
  };

  const uploadPart: Route = async (request, target) => {
    const bucket = requireBucketName(target);
    if (headerValue(request, "x-amz-copy-source") !== undefined) throw notImplemented("UploadPartCopy");
    const partNumberText = request.query.get("partNumber") ?? "";
    if (!/^\d+$/.test(partNumberText)) {
      throw new AwsServiceError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", { status: 400 });
    }
    const verified = verifyRequestBody(request);
    const part = await service.tracked(
      service.multipart.uploadPart({
        bucket,
        key: target.key!,
        uploadId: request.query.get("uploadId")!,
        partNumber: Number(partNumberText),
        body: verified.body,
        checksum: verified.checksum,
      }),
    );
    const upload = service.multipart.get(bucket, target.key!, request.query.get("uploadId")!);
    return empty(200, {
      etag: `"${part.md5}"`,
      ...(upload.checksumAlgorithm && part.checksumValue ? { [checksumHeaderName(upload.checksumAlgorithm)]: part.checksumValue } : {}),
      "x-amz-server-side-encryption": bucketEncryption(bucket).algorithm,
    });
  };

  const completeMultipartUpload: Route = async (request, target) => {
    const bucket = requireBucketName(target);
    const uploadId = request.query.get("uploadId")!;
    const upload = service.multipart.get(bucket, target.key!, uploadId);
    // Here x-amz-checksum-* headers carry the whole object's checksum, not the XML body's.
    const root = parseXmlBody(request.body, "CompleteMultipartUpload");
    const parts = childrenNamed(root, "Part").map((part) => {
      const numberText = childText(part, "PartNumber");
      if (numberText === undefined || !/^\d+$/.test(numberText)) {
        throw new AwsServiceError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", {
          status: 400,
        });
      }
      const checksum = upload.checksumAlgorithm === undefined ? undefined : childText(part, `Checksum${upload.checksumAlgorithm}`);
      return { partNumber: Number(numberText), etag: childText(part, "ETag"), checksum };
    });
    let fullObjectChecksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const value = headerValue(request, checksumHeaderName(algorithm));
      if (value !== undefined) fullObjectChecksum = { algorithm, value: value.trim() };
    }
    const ifNoneMatch = headerValue(request, "if-none-match");
    const stored = await service.tracked(
      service.multipart.complete({ bucket, key: target.key!, uploadId, parts, fullObjectChecksum, ifNoneMatch: ifNoneMatch?.trim() === "*" }),
    );
    const expectedSize = headerValue(request, "x-amz-mp-object-size");
    if (expectedSize !== undefined && Number(expectedSize) !== stored.size) {
      context.log.log("warn", "x-amz-mp-object-size did not match the completed object", { expected: expectedSize, actual: stored.size });
    }
    return xmlReply(
      el(
        "CompleteMultipartUploadResult",
        [
          el("Location", `${context.baseUrl()}/${bucket}/${encodeURIComponent(stored.key).replace(/%2F/g, "/")}`),
          el("Bucket", bucket),
          el("Key", stored.key),
          el("ETag", `"${stored.md5}"`),
          el(`Checksum${stored.checksumAlgorithm}`, stored.checksumValue),
          el("ChecksumType", stored.checksumType),
        ],
        S3_XMLNS,
      ),
      200,
      { "x-amz-server-side-encryption": bucketEncryption(bucket).algorithm },
    );
  };

  const abortMultipartUpload: Route = async (request, target) => {
    await service.tracked(service.multipart.abort(requireBucketName(target), target.key!, request.query.get("uploadId")!));
    return empty(204);
  };

  const listParts: Route = (request, target) => {
    const bucket = requireBucketName(target);
    const uploadId = request.query.get("uploadId")!;
    const marker = request.query.get("part-number-marker");
    const after = marker === null ? 0 : Number.parseInt(marker, 10) || 0;
    const maxParts = parseMaxKeys(request.query.get("max-parts"), "max-parts");
    const { upload, parts, isTruncated } = service.multipart.listParts(bucket, target.key!, uploadId, after, Math.min(maxParts, MAX_LIST_PARTS));
    return xmlReply(
      el(
        "ListPartsResult",
        [
          el("Bucket", bucket),
          el("Key", upload.key),
          el("UploadId", uploadId),
          el("PartNumberMarker", after),
          ...(isTruncated ? [el("NextPartNumberMarker", parts.at(-1)?.partNumber ?? after)] : []),
          el("MaxParts", maxParts),
          el("IsTruncated", isTruncated),
          ...parts.map((part) =>
            el("Part", [
              el("PartNumber", part.partNumber),
              el("LastModified", isoDate(part.lastModified)),
              el("ETag", `"${part.md5}"`),
              el("Size", part.size),
              ...(upload.checksumAlgorithm && part.checksumValue ? [el(`Checksum${upload.checksumAlgorithm}`, part.checksumValue)] : []),
            ]),
          ),
          ...uploadNode(upload),
        ],
        S3_XMLNS,
      ),
    );
  };

  const listMultipartUploads: Route = (request, target) => {
    const bucket = requireBucketName(target);
    const prefix = request.query.get("prefix") ?? "";
    const maxUploads = parseMaxKeys(request.query.get("max-uploads"), "max-uploads");
    const { uploads, isTruncated } = service.multipart.listUploads(bucket, prefix, Math.min(maxUploads, MAX_LIST_UPLOADS));
    return xmlReply(
      el(
        "ListMultipartUploadsResult",
        [
          el("Bucket", bucket),
          el("KeyMarker", ""),
          el("UploadIdMarker", ""),
          ...(isTruncated ? [el("NextKeyMarker", uploads.at(-1)?.key ?? ""), el("NextUploadIdMarker", uploads.at(-1)?.uploadId ?? "")] : []),
          el("Prefix", prefix),
          el("MaxUploads", maxUploads),
          el("IsTruncated", isTruncated),
          ...uploads.map((upload) =>
            el("Upload", [el("Key", upload.key), el("UploadId", upload.uploadId), ...uploadNode(upload), el("Initiated", isoDate(upload.initiated))]),
          ),
        ],
        S3_XMLNS,
      ),
    );
  };

  // ---------------------------------------------------------------- dispatch
  const dispatch = async (request: LocalRequest): Promise<LocalResponse> => {
    const target = splitPath(request.rawPath);
    const method = request.method.toUpperCase();
    if (target.bucket === undefined) {
      if (method === "GET") return listBuckets(request, target);
      throw methodNotAllowed();
    }
    if (target.key === undefined) {
      const sub = await bucketSubresource(request, target);
      if (sub !== undefined) return sub;
      switch (method) {
        case "PUT":
          return createBucket(request, target);
        case "HEAD":
          return headBucket(request, target);
        case "GET":
          return listObjects(request, target);
        case "DELETE":
          return deleteBucket(request, target);
        default:
          throw methodNotAllowed();
      }
    }
    if (has(request, "uploads") && method === "POST") return createMultipartUpload(request, target);
    if (has(request, "uploadId")) {
      if (method === "PUT" && has(request, "partNumber")) return uploadPart(request, target);
      if (method === "POST") return completeMultipartUpload(request, target);
      if (method === "DELETE") return abortMultipartUpload(request, target);
      if (method === "GET") return listParts(request, target);
      throw methodNotAllowed();
    }
    const objectSub = OBJECT_SUBRESOURCES.find((name) => has(request, name));
    if (objectSub !== undefined) throw notImplemented(`The object sub-resource ?${objectSub} (${method})`);
    switch (method) {
      case "PUT":
        return putObject(request, target);
      case "GET":
        return getOrHeadObject(request, target, true);
      case "HEAD":
        return getOrHeadObject(request, target, false);
      case "DELETE":
        return deleteObject(request, target);
      default:
        throw methodNotAllowed();
    }
  };

  return async (request) => {
    const hostId = Buffer.from(request.requestId).toString("base64");
    const common = { "x-amz-request-id": request.requestId, "x-amz-id-2": hostId, server: "AmazonS3" };
    let reply: LocalResponse;
    try {
      reply = await dispatch(request);
    } catch (error) {
      reply = toErrorResponse(error, request, context);
    }
    return { ...reply, headers: { ...reply.headers, ...common } };
  };
}

/** The one place an error becomes S3's wire shape. HEAD replies carry no body, as on S3. */
function toErrorResponse(error: unknown, request: LocalRequest, context: LocalContext): LocalResponse {
  const serviceError = isAwsServiceError(error)
    ? error
    : new AwsServiceError("InternalError", "We encountered an internal error. Please try again.", { status: 500 });
  if (!isAwsServiceError(error)) {
    context.log.log("error", "s3 request failed", { method: request.method, path: request.rawPath, error: (error as Error).stack ?? String(error) });
  }
  const extraHeaders = (error as { extraHeaders?: Record<string, string> }).extraHeaders ?? {};
  if (request.method.toUpperCase() === "HEAD") return empty(serviceError.status, extraHeaders);
  let target: Target = { bucket: undefined, key: undefined };
  try {
    target = splitPath(request.rawPath);
  } catch {
    // The path itself was the problem.
  }
  const details: Xml[] = [];
  if (target.bucket !== undefined && /Bucket/.test(serviceError.code)) details.push(el("BucketName", target.bucket));
  if (target.key !== undefined && serviceError.code === "NoSuchKey") details.push(el("Key", target.key));
  const body = xmlDocument(
    el("Error", [
      el("Code", serviceError.code),
      el("Message", serviceError.message),
      ...details,
      el("Resource", request.rawPath),
      el("RequestId", request.requestId),
      el("HostId", Buffer.from(request.requestId).toString("base64")),
    ]),
  );
  return { status: serviceError.status, headers: { "content-type": "application/xml", ...extraHeaders }, body };
}
