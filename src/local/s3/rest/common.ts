/**
 * What every S3 REST operation shares: the addressed bucket and key (path-style), the reply
 * builders, and the context the operations run in.
 */
import { createHash } from "node:crypto";
import type { LocalContext } from "../../context.js";
import type { LocalRequest, LocalResponse } from "../../server/http-types.js";
import { AwsServiceError } from "../../aws-error.js";
import { el, xmlDocument, type Xml } from "../../server/xml.js";
import { MAX_LIST_KEYS, type S3Service } from "../service.js";
import { DEFAULT_ENCRYPTION, type EncryptionConfiguration } from "../bucket-config.js";
import { methodNotAllowed } from "./errors.js";

/** The bucket and key a path-style request addresses. */
export interface Target {
  bucket: string | undefined;
  key: string | undefined;
}

/** What the operations run in: the local cloud, the S3 service, and the one account's owner. */
export interface S3Rest {
  context: LocalContext;
  service: S3Service;
  owner: { id: string; displayName: string };
}

export function s3Rest(context: LocalContext, service: S3Service): S3Rest {
  return { context, service, owner: { id: createHash("sha256").update(`wsq-local-${context.accountId}`).digest("hex"), displayName: "wsq-local" } };
}

export function ownerXml(rest: S3Rest): Xml {
  return el("Owner", [el("ID", rest.owner.id), el("DisplayName", rest.owner.displayName)]);
}

/** The bucket's default encryption (SSE-S3 unless configured), which every object reply names. */
export function bucketEncryption(rest: S3Rest, bucket: string): EncryptionConfiguration {
  return rest.service.requireBucket(bucket).encryption ?? DEFAULT_ENCRYPTION;
}

export function requireBucketName(target: Target): string {
  if (target.bucket === undefined) throw methodNotAllowed();
  return target.bucket;
}

export function splitPath(rawPath: string): Target {
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

export function has(request: LocalRequest, name: string): boolean {
  return request.query.has(name);
}

export function httpDate(epochMs: number): string {
  return new Date(epochMs).toUTCString();
}

export function isoDate(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** `root` carries S3's namespace (built with S3_XMLNS), as every S3 reply but an error does. */
export function xmlReply(root: Xml, status = 200, headers: Record<string, string> = {}): LocalResponse {
  return { status, headers: { "content-type": "application/xml", ...headers }, body: xmlDocument(root) };
}

export function empty(status: number, headers: Record<string, string> = {}): LocalResponse {
  return { status, headers: { ...headers, "content-length": "0" } };
}

export function parseMaxKeys(value: string | null, name: string): number {
  if (value === null) return MAX_LIST_KEYS;
  if (!/^\d+$/.test(value)) throw new AwsServiceError("InvalidArgument", `Provided ${name} not an integer or within integer range`, { status: 400 });
  return Math.min(Number(value), MAX_LIST_KEYS);
}
