import { AwsServiceError } from "../aws-error.js";
import { child, childrenNamed, childText, malformedXml, parseXmlBody, S3_XMLNS } from "./xml.js";
import { el, type Xml } from "../server/xml.js";

/**
 * The bucket sub-resources deploy's asset bucket sets (encryption, public access block, tags,
 * policy): validated as S3 validates them, recorded, and returned by the matching Get* call.
 * They are not enforced: the local cloud has one account and no anonymous access.
 */

// ---------------------------------------------------------------- encryption
/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html */
const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

export interface EncryptionConfiguration {
  algorithm: string;
  kmsMasterKeyId?: string;
  bucketKeyEnabled: boolean;
}

/** Since January 2023 every bucket has SSE-S3 unless configured otherwise. */
export const DEFAULT_ENCRYPTION: EncryptionConfiguration = { algorithm: "AES256", bucketKeyEnabled: false };

export function parseEncryption(body: Buffer): EncryptionConfiguration {
  const root = parseXmlBody(body, "ServerSideEncryptionConfiguration");
  const rules = childrenNamed(root, "Rule");
  if (rules.length !== 1) throw malformedXml();
  const byDefault = child(rules[0]!, "ApplyServerSideEncryptionByDefault");
  const algorithm = byDefault === undefined ? undefined : childText(byDefault, "SSEAlgorithm");
  if (algorithm === undefined) throw malformedXml();
  if (!SSE_ALGORITHMS.includes(algorithm)) {
    throw new AwsServiceError("InvalidArgument", `Invalid value for SSEAlgorithm: ${algorithm}`, { status: 400 });
  }
  const kmsMasterKeyId = byDefault === undefined ? undefined : childText(byDefault, "KMSMasterKeyID");
  if (kmsMasterKeyId !== undefined && algorithm === "AES256") {
    throw new AwsServiceError("InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse", {
      status: 400,
    });
  }
  const bucketKey = childText(rules[0]!, "BucketKeyEnabled");
  return { algorithm, ...(kmsMasterKeyId ? { kmsMasterKeyId } : {}), bucketKeyEnabled: bucketKey === "true" };
}

export function renderEncryption(config: EncryptionConfiguration): Xml {
  return el(
    "ServerSideEncryptionConfiguration",
    [
      el("Rule", [
        el("ApplyServerSideEncryptionByDefault", [
          el("SSEAlgorithm", config.algorithm),
          ...(config.kmsMasterKeyId ? [el("KMSMasterKeyID", config.kmsMasterKeyId)] : []),
        ]),
        el("BucketKeyEnabled", config.bucketKeyEnabled),
      ]),
    ],
    S3_XMLNS,
  );
}

// ---------------------------------------------------------------- public access block
const PUBLIC_ACCESS_FLAGS = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] as const;
export type PublicAccessBlock = Record<(typeof PUBLIC_ACCESS_FLAGS)[number], boolean>;

/** Since April 2023 new buckets block all public access by default. */
export const DEFAULT_PUBLIC_ACCESS_BLOCK: PublicAccessBlock = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};

export function parsePublicAccessBlock(body: Buffer): PublicAccessBlock {
  const root = parseXmlBody(body, "PublicAccessBlockConfiguration");
  const out = {} as PublicAccessBlock;
  for (const flag of PUBLIC_ACCESS_FLAGS) {
    const value = childText(root, flag);
    if (value !== undefined && value !== "true" && value !== "false") throw malformedXml();
    out[flag] = value === "true";
  }
  return out;
}

export function renderPublicAccessBlock(config: PublicAccessBlock): Xml {
  return el(
    "PublicAccessBlockConfiguration",
    PUBLIC_ACCESS_FLAGS.map((flag) => el(flag, config[flag])),
    S3_XMLNS,
  );
}

// ---------------------------------------------------------------- tagging
/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/CostAllocTagging.html */
export const MAX_BUCKET_TAGS = 50;
const MAX_TAG_KEY_LENGTH = 128;
const MAX_TAG_VALUE_LENGTH = 256;

export type TagSet = { Key: string; Value: string }[];

function invalidTag(message: string): AwsServiceError {
  return new AwsServiceError("InvalidTag", message, { status: 400 });
}

export function parseTagging(body: Buffer): TagSet {
  const root = parseXmlBody(body, "Tagging");
  const tagSet = child(root, "TagSet");
  if (tagSet === undefined) throw malformedXml();
  const tags: TagSet = childrenNamed(tagSet, "Tag").map((tag) => {
    const key = childText(tag, "Key");
    const value = childText(tag, "Value");
    if (key === undefined || value === undefined) throw malformedXml();
    return { Key: key, Value: value };
  });
  if (tags.length > MAX_BUCKET_TAGS) throw invalidTag(`Object tags cannot be greater than ${MAX_BUCKET_TAGS}`);
  const seen = new Set<string>();
  for (const tag of tags) {
    if (tag.Key.length === 0 || [...tag.Key].length > MAX_TAG_KEY_LENGTH) throw invalidTag("The TagKey you have provided is invalid");
    if ([...tag.Value].length > MAX_TAG_VALUE_LENGTH) throw invalidTag("The TagValue you have provided is invalid");
    if (tag.Key.startsWith("aws:")) throw invalidTag("System tags cannot be added/updated by requester");
    if (seen.has(tag.Key)) throw invalidTag("Cannot provide multiple Tags with the same key");
    seen.add(tag.Key);
  }
  return tags;
}

export function renderTagging(tags: TagSet): Xml {
  return el(
    "Tagging",
    [
      el(
        "TagSet",
        tags.map((tag) => el("Tag", [el("Key", tag.Key), el("Value", tag.Value)])),
      ),
    ],
    S3_XMLNS,
  );
}

// ---------------------------------------------------------------- policy
function malformedPolicy(message: string): AwsServiceError {
  return new AwsServiceError("MalformedPolicy", message, { status: 400 });
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/**
 * A bucket policy, checked the way S3 refuses malformed ones (MalformedPolicy, 400): JSON whose
 * first byte is '{', a Statement, and in each statement an Effect of Allow or Deny, a Principal,
 * an Action and a Resource. Given the bucket, each Resource must be the bucket or its objects
 * (`arn:aws:s3:::BUCKET`, `arn:aws:s3:::BUCKET/...`) and each Action an `s3:` one, as S3 requires
 * ("Policy has invalid resource", "Policy has invalid action"). Conditions are kept, not
 * evaluated: policies are recorded, not enforced (docs/s3.md).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html
 */
export function parsePolicy(body: Buffer, bucket?: string): string {
  const text = body.toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformedPolicy("Policies must be valid JSON and the first byte must be '{'");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !("Statement" in parsed)) {
    throw malformedPolicy("Missing required field Statement");
  }
  for (const statement of asList(parsed.Statement)) {
    if (typeof statement !== "object" || statement === null || Array.isArray(statement)) throw malformedPolicy("Invalid policy syntax.");
    const fields = statement as Record<string, unknown>;
    if (fields.Effect !== "Allow" && fields.Effect !== "Deny") throw malformedPolicy(`Invalid effect: ${String(fields.Effect)}`);
    if (fields.Principal === undefined && fields.NotPrincipal === undefined) throw malformedPolicy("Missing required field Principal");
    if (fields.Action === undefined && fields.NotAction === undefined) throw malformedPolicy("Missing required field Action");
    if (fields.Resource === undefined && fields.NotResource === undefined) throw malformedPolicy("Missing required field Resource");
    if (bucket === undefined) continue;
    for (const action of asList(fields.Action ?? fields.NotAction)) {
      if (typeof action !== "string" || !(action === "*" || /^s3:[A-Za-z*?]+$/.test(action))) throw malformedPolicy("Policy has invalid action");
    }
    for (const resource of asList(fields.Resource ?? fields.NotResource)) {
      const arn = typeof resource === "string" ? resource : "";
      if (!(arn === `arn:aws:s3:::${bucket}` || arn.startsWith(`arn:aws:s3:::${bucket}/`))) throw malformedPolicy("Policy has invalid resource");
    }
  }
  return text;
}
