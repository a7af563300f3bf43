/** The service and bucket operations of S3's REST API: listing buckets, creating, heading and deleting one, listing and batch-deleting its objects, and its sub-resources. */
import type { LocalRequest, LocalResponse } from "../../server/http-types.js";
import { headerValue } from "../../server/http-types.js";
import { AwsServiceError, isAwsServiceError } from "../../aws-error.js";
import { el, type Xml } from "../../server/xml.js";
import { childrenNamed, childText, malformedXml, parseXmlBody, S3_XMLNS } from "../xml.js";
import { verifyRequestBody, requireIntegrityHeader } from "../request-body.js";
import { MAX_DELETE_OBJECTS } from "../service.js";
import type { BucketConfigurationName, BucketConfigurations } from "../store.js";
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
} from "../bucket-config.js";
import { empty, has, isoDate, ownerXml, parseMaxKeys, requireBucketName, xmlReply, type S3Rest, type Target } from "./common.js";
import { methodNotAllowed, notImplemented } from "./errors.js";
import { listMultipartUploads } from "./multipart.js";

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

/** The region a SigV4 request was signed for (the credential scope), if it was signed. */
function signedRegion(request: LocalRequest): string | undefined {
  const credential = headerValue(request, "authorization")?.match(/Credential=([^,\s]+)/)?.[1] ?? request.query.get("X-Amz-Credential") ?? undefined;
  const parts = credential?.split("/");
  return parts !== undefined && parts.length >= 5 ? parts[parts.length - 3] : undefined;
}

/** Continuation tokens are opaque to clients; this one carries the key to continue after. */
const TOKEN_PREFIX = "wsq1:";
export function encodeToken(after: string): string {
  return Buffer.from(`${TOKEN_PREFIX}${after}`, "utf8").toString("base64");
}
function decodeToken(token: string): string {
  const text = Buffer.from(token, "base64").toString("utf8");
  if (!text.startsWith(TOKEN_PREFIX)) {
    throw new AwsServiceError("InvalidArgument", "The continuation token provided is incorrect", { status: 400 });
  }
  return text.slice(TOKEN_PREFIX.length);
}

export function listBuckets(rest: S3Rest, request: LocalRequest, _target: Target): LocalResponse {
  const prefix = request.query.get("prefix") ?? "";
  const buckets = rest.service.listBuckets().filter((b) => b.name.startsWith(prefix));
  return xmlReply(
    el(
      "ListAllMyBucketsResult",
      [
        ownerXml(rest),
        el(
          "Buckets",
          buckets.map((b) => el("Bucket", [el("Name", b.name), el("CreationDate", isoDate(b.createdAt)), el("BucketRegion", b.region)])),
        ),
        ...(prefix ? [el("Prefix", prefix)] : []),
      ],
      S3_XMLNS,
    ),
  );
}

export function createBucket(rest: S3Rest, request: LocalRequest, target: Target): LocalResponse {
  const bucket = requireBucketName(target);
  const requestRegion = signedRegion(request) ?? rest.context.region;
  let locationConstraint: string | undefined;
  const verified = verifyRequestBody(request);
  if (verified.body.length > 0) {
    const root = parseXmlBody(verified.body, "CreateBucketConfiguration");
    locationConstraint = childText(root, "LocationConstraint");
  }
  rest.service.createBucketWithConstraint(bucket, locationConstraint, requestRegion);
  return empty(200, { location: `/${bucket}` });
}

export function headBucket(rest: S3Rest, _request: LocalRequest, target: Target): LocalResponse {
  const bucket = rest.service.requireBucket(requireBucketName(target));
  return empty(200, { "x-amz-bucket-region": bucket.region, "x-amz-access-point-alias": "false" });
}

export async function deleteBucket(rest: S3Rest, _request: LocalRequest, target: Target): Promise<LocalResponse> {
  await rest.service.deleteBucket(requireBucketName(target));
  return empty(204);
}

export function listObjects(rest: S3Rest, request: LocalRequest, target: Target): LocalResponse {
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
  const result = rest.service.list({ bucket, prefix, delimiter, maxKeys, ...(after !== undefined ? { after } : {}) });
  const fetchOwner = request.query.get("fetch-owner") === "true";
  const contents = result.contents.map((o) =>
    el("Contents", [
      el("Key", encode(o.key)),
      el("LastModified", isoDate(o.lastModified)),
      el("ETag", `"${o.md5}"`),
      el("ChecksumAlgorithm", o.checksumAlgorithm),
      el("ChecksumType", o.checksumType),
      el("Size", o.size),
      ...(fetchOwner || !v2 ? [ownerXml(rest)] : []),
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
}

export async function deleteObjects(rest: S3Rest, request: LocalRequest, target: Target): Promise<LocalResponse> {
  const bucket = requireBucketName(target);
  const verified = verifyRequestBody(request);
  requireIntegrityHeader(verified);
  const root = parseXmlBody(verified.body, "Delete");
  const objects = childrenNamed(root, "Object");
  if (objects.length === 0 || objects.length > MAX_DELETE_OBJECTS) {
    throw malformedXml();
  }
  const quiet = childText(root, "Quiet") === "true";
  rest.service.requireBucket(bucket);
  const nodes: Xml[] = [];
  for (const object of objects) {
    const key = childText(object, "Key");
    if (key === undefined) {
      throw malformedXml();
    }
    try {
      await rest.service.deleteObject(bucket, key);
      if (!quiet) nodes.push(el("Deleted", [el("Key", key)]));
    } catch (error) {
      if (!isAwsServiceError(error)) throw error;
      nodes.push(el("Error", [el("Key", key), el("Code", error.code), el("Message", error.message)]));
    }
  }
  return xmlReply(el("DeleteResult", nodes, S3_XMLNS));
}

/**
 * The configurable sub-resources, in the order a request naming several is read: how a PUT's
 * body is parsed (and whether it must carry an integrity header), what the PUT answers, what a
 * GET answers (for one never set: a default, or S3's error), and what a DELETE leaves.
 */
interface ConfigurationRules<K extends BucketConfigurationName> {
  parse(body: Buffer): BucketConfigurations[K];
  integrityHeader: boolean;
  putStatus: 200 | 204;
  reply(value: BucketConfigurations[K]): LocalResponse;
  unset: { fallback: BucketConfigurations[K] } | { error: () => AwsServiceError };
  afterDelete?: BucketConfigurations[K];
}

const CONFIGURATIONS: { [K in BucketConfigurationName]: ConfigurationRules<K> } = {
  encryption: {
    parse: parseEncryption,
    integrityHeader: true,
    putStatus: 200,
    reply: (value) => xmlReply(renderEncryption(value)),
    unset: { fallback: DEFAULT_ENCRYPTION },
  },
  publicAccessBlock: {
    parse: parsePublicAccessBlock,
    integrityHeader: true,
    putStatus: 200,
    reply: (value) => xmlReply(renderPublicAccessBlock(value)),
    unset: { fallback: DEFAULT_PUBLIC_ACCESS_BLOCK },
    afterDelete: { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false },
  },
  tagging: {
    parse: parseTagging,
    integrityHeader: true,
    putStatus: 204,
    reply: (value) => xmlReply(renderTagging(value)),
    unset: { error: () => new AwsServiceError("NoSuchTagSet", "The TagSet does not exist", { status: 404 }) },
  },
  policy: {
    parse: parsePolicy,
    integrityHeader: false,
    putStatus: 204,
    reply: (value) => ({ status: 200, headers: { "content-type": "application/json" }, body: value }),
    unset: { error: () => new AwsServiceError("NoSuchBucketPolicy", "The bucket policy does not exist", { status: 404 }) },
  },
};
const CONFIGURATION_NAMES = Object.keys(CONFIGURATIONS) as BucketConfigurationName[];

/** Put, get or delete one configurable sub-resource. */
function configure<K extends BucketConfigurationName>(rest: S3Rest, request: LocalRequest, bucket: string, name: K): LocalResponse {
  const rules: ConfigurationRules<K> = CONFIGURATIONS[name];
  switch (request.method) {
    case "PUT": {
      const verified = verifyRequestBody(request);
      if (rules.integrityHeader) requireIntegrityHeader(verified);
      rest.service.setBucketConfiguration(bucket, name, rules.parse(verified.body));
      return empty(rules.putStatus);
    }
    case "GET": {
      const value = rest.service.requireBucket(bucket)[name] as BucketConfigurations[K] | undefined;
      if (value !== undefined) return rules.reply(value);
      if ("error" in rules.unset) throw rules.unset.error();
      return rules.reply(rules.unset.fallback);
    }
    case "DELETE":
      rest.service.setBucketConfiguration(bucket, name, rules.afterDelete);
      return empty(204);
    default:
      throw methodNotAllowed();
  }
}

export async function bucketSubresource(rest: S3Rest, request: LocalRequest, target: Target): Promise<LocalResponse | undefined> {
  const bucket = requireBucketName(target);
  const method = request.method;
  const configuration = CONFIGURATION_NAMES.find((name) => has(request, name));
  if (configuration !== undefined) return configure(rest, request, bucket, configuration);
  if (has(request, "location") && method === "GET") {
    const region = rest.service.requireBucket(bucket).region;
    return xmlReply(el("LocationConstraint", region === "us-east-1" ? "" : region, S3_XMLNS));
  }
  if (has(request, "versioning") && method === "GET") {
    rest.service.requireBucket(bucket);
    return xmlReply(el("VersioningConfiguration", [], S3_XMLNS));
  }
  if (has(request, "delete") && method === "POST") return deleteObjects(rest, request, target);
  if (has(request, "uploads") && method === "GET") return listMultipartUploads(rest, request, target);
  const named = BUCKET_SUBRESOURCES.find((name) => has(request, name));
  if (named !== undefined) throw notImplemented(`The bucket sub-resource ?${named} (${method})`);
  return undefined;
}
