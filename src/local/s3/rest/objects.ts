/** The object operations of S3's REST API: put (and copy), get and head (ranges, preconditions, response overrides), delete. */
import type { LocalRequest, LocalResponse } from "../../server/http-types.js";
import { headerValue } from "../../server/http-types.js";
import { AwsServiceError } from "../../aws-error.js";
import { el } from "../../server/xml.js";
import { S3_XMLNS } from "../xml.js";
import { checksumHeaderName } from "../checksums.js";
import type { ObjectAttributes } from "../multipart.js";
import { verifyRequestBody } from "../request-body.js";
import type { StoredObject } from "../store.js";
import type { EncryptionConfiguration } from "../bucket-config.js";
import { bucketEncryption, empty, httpDate, isoDate, requireBucketName, splitPath, xmlReply, type S3Rest, type Target } from "./common.js";

export const OBJECT_SUBRESOURCES = ["uploads", "uploadId", "tagging", "acl", "retention", "legal-hold", "attributes", "restore", "torrent", "select"] as const;

/** Response-header overrides a GET may carry (presigned download links use them). */
const RESPONSE_OVERRIDES: Record<string, string> = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
};

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

/** The attributes an object takes from its request's headers (CreateMultipartUpload, a copy that replaces them). */
export function attributesFromHeaders(request: LocalRequest): ObjectAttributes {
  return {
    contentType: headerValue(request, "content-type"),
    contentEncoding: headerValue(request, "content-encoding"),
    contentDisposition: headerValue(request, "content-disposition"),
    contentLanguage: headerValue(request, "content-language"),
    cacheControl: headerValue(request, "cache-control"),
    expires: headerValue(request, "expires"),
    metadata: userMetadata(request),
  };
}

function userMetadata(request: LocalRequest): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith("x-amz-meta-") && value !== undefined) metadata[name.slice("x-amz-meta-".length)] = Array.isArray(value) ? value.join(",") : value;
  }
  return metadata;
}

export async function putObject(rest: S3Rest, request: LocalRequest, target: Target): Promise<LocalResponse> {
  const bucket = requireBucketName(target);
  const key = target.key!;
  if (headerValue(request, "x-amz-copy-source") !== undefined) return copyObject(rest, request, target);
  const verified = verifyRequestBody(request);
  const ifNoneMatch = headerValue(request, "if-none-match");
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") {
    throw new AwsServiceError("NotImplemented", "A header you provided implies functionality that is not implemented", { status: 501 });
  }
  const stored = await rest.service.put({
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
    "x-amz-server-side-encryption": bucketEncryption(rest, bucket).algorithm,
  });
}

export async function copyObject(rest: S3Rest, request: LocalRequest, target: Target): Promise<LocalResponse> {
  const bucket = requireBucketName(target);
  const source = splitPath(`/${(headerValue(request, "x-amz-copy-source") ?? "").replace(/^\//, "").split("?")[0]}`);
  if (source.bucket === undefined || source.key === undefined) {
    throw new AwsServiceError("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", { status: 400 });
  }
  const replace = headerValue(request, "x-amz-metadata-directive") === "REPLACE";
  const stored = await rest.service.copy({
    source: { bucket: source.bucket, key: source.key },
    bucket,
    key: target.key!,
    ...(replace ? { replaceAttributes: attributesFromHeaders(request) } : {}),
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
    { "x-amz-server-side-encryption": bucketEncryption(rest, bucket).algorithm },
  );
}

export async function getOrHeadObject(rest: S3Rest, request: LocalRequest, target: Target, withBody: boolean): Promise<LocalResponse> {
  const bucket = requireBucketName(target);
  const key = target.key!;
  const object = rest.service.head(bucket, key);
  const precondition = preconditionOutcome(request, object);
  const base = objectHeaders(object, request, bucketEncryption(rest, bucket));
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
  const { object: current, body } = await rest.service.read(bucket, key, range);
  if (current.blobId !== object.blobId) {
    // Replaced between the head and the read: answer with what was read, consistently.
    return getOrHeadObject(rest, request, target, withBody);
  }
  if (range !== undefined) {
    return {
      status: 206,
      headers: { ...base, "content-range": `bytes ${range.start}-${range.end}/${object.size}`, "content-length": String(body.length) },
      body,
    };
  }
  return { status: 200, headers: { ...base, ...checksumHeaders, "content-length": String(body.length) }, body };
}

export async function deleteObject(rest: S3Rest, _request: LocalRequest, target: Target): Promise<LocalResponse> {
  await rest.service.deleteObject(requireBucketName(target), target.key!);
  return empty(204);
}
