/** The multipart upload operations of S3's REST API: create, upload a part, complete, abort, list parts and list uploads. */
import type { LocalRequest, LocalResponse } from "../../server/http-types.js";
import { headerValue } from "../../server/http-types.js";
import { AwsServiceError } from "../../aws-error.js";
import { el, type Xml } from "../../server/xml.js";
import { childrenNamed, childText, malformedXml, parseXmlBody, S3_XMLNS } from "../xml.js";
import { CHECKSUM_ALGORITHMS, checksumHeaderName, parseChecksumAlgorithm, type ChecksumAlgorithm } from "../checksums.js";
import { verifyRequestBody } from "../request-body.js";
import { MAX_LIST_PARTS, MAX_LIST_UPLOADS, type UploadRecord } from "../multipart.js";
import { bucketEncryption, empty, isoDate, ownerXml, parseMaxKeys, requireBucketName, xmlReply, type S3Rest, type Target } from "./common.js";
import { notImplemented } from "./errors.js";
import { attributesFromHeaders } from "./objects.js";

function uploadXml(rest: S3Rest, upload: UploadRecord): Xml[] {
  return [
    el("Initiator", [el("ID", rest.owner.id), el("DisplayName", rest.owner.displayName)]),
    ownerXml(rest),
    el("StorageClass", "STANDARD"),
    ...(upload.checksumAlgorithm ? [el("ChecksumAlgorithm", upload.checksumAlgorithm), el("ChecksumType", upload.checksumType)] : []),
  ];
}

function multipartHeaders(upload: UploadRecord): Record<string, string> {
  return upload.checksumAlgorithm ? { "x-amz-checksum-algorithm": upload.checksumAlgorithm, "x-amz-checksum-type": upload.checksumType! } : {};
}

export function createMultipartUpload(rest: S3Rest, request: LocalRequest, target: Target): LocalResponse {
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
  const upload = rest.service.multipart.create({
    bucket,
    key: target.key!,
    attributes: attributesFromHeaders(request),
    checksumAlgorithm,
    checksumType: headerValue(request, "x-amz-checksum-type"),
  });
  return xmlReply(el("InitiateMultipartUploadResult", [el("Bucket", bucket), el("Key", upload.key), el("UploadId", upload.uploadId)], S3_XMLNS), 200, {
    ...multipartHeaders(upload),
    "x-amz-server-side-encryption": bucketEncryption(rest, bucket).algorithm,
  });
}

export async function uploadPart(rest: S3Rest, request: LocalRequest, target: Target): Promise<LocalResponse> {
  const bucket = requireBucketName(target);
  if (headerValue(request, "x-amz-copy-source") !== undefined) throw notImplemented("UploadPartCopy");
  const partNumberText = request.query.get("partNumber") ?? "";
  if (!/^\d+$/.test(partNumberText)) {
    throw new AwsServiceError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", { status: 400 });
  }
  const verified = verifyRequestBody(request);
  const part = await rest.service.tracked(
    rest.service.multipart.uploadPart({
      bucket,
      key: target.key!,
      uploadId: request.query.get("uploadId")!,
      partNumber: Number(partNumberText),
      body: verified.body,
      checksum: verified.checksum,
    }),
  );
  const upload = rest.service.multipart.get(bucket, target.key!, request.query.get("uploadId")!);
  return empty(200, {
    etag: `"${part.md5}"`,
    ...(upload.checksumAlgorithm && part.checksumValue ? { [checksumHeaderName(upload.checksumAlgorithm)]: part.checksumValue } : {}),
    "x-amz-server-side-encryption": bucketEncryption(rest, bucket).algorithm,
  });
}

export async function completeMultipartUpload(rest: S3Rest, request: LocalRequest, target: Target): Promise<LocalResponse> {
  const bucket = requireBucketName(target);
  const uploadId = request.query.get("uploadId")!;
  const upload = rest.service.multipart.get(bucket, target.key!, uploadId);
  // Here x-amz-checksum-* headers carry the whole object's checksum, not the XML body's.
  const root = parseXmlBody(request.body, "CompleteMultipartUpload");
  const parts = childrenNamed(root, "Part").map((part) => {
    const numberText = childText(part, "PartNumber");
    if (numberText === undefined || !/^\d+$/.test(numberText)) {
      throw malformedXml();
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
  const stored = await rest.service.tracked(
    rest.service.multipart.complete({ bucket, key: target.key!, uploadId, parts, fullObjectChecksum, ifNoneMatch: ifNoneMatch?.trim() === "*" }),
  );
  const expectedSize = headerValue(request, "x-amz-mp-object-size");
  if (expectedSize !== undefined && Number(expectedSize) !== stored.size) {
    rest.context.log.log("warn", "x-amz-mp-object-size did not match the completed object", { expected: expectedSize, actual: stored.size });
  }
  return xmlReply(
    el(
      "CompleteMultipartUploadResult",
      [
        el("Location", `${rest.context.baseUrl()}/${bucket}/${encodeURIComponent(stored.key).replace(/%2F/g, "/")}`),
        el("Bucket", bucket),
        el("Key", stored.key),
        el("ETag", `"${stored.md5}"`),
        el(`Checksum${stored.checksumAlgorithm}`, stored.checksumValue),
        el("ChecksumType", stored.checksumType),
      ],
      S3_XMLNS,
    ),
    200,
    { "x-amz-server-side-encryption": bucketEncryption(rest, bucket).algorithm },
  );
}

export async function abortMultipartUpload(rest: S3Rest, request: LocalRequest, target: Target): Promise<LocalResponse> {
  await rest.service.tracked(rest.service.multipart.abort(requireBucketName(target), target.key!, request.query.get("uploadId")!));
  return empty(204);
}

export function listParts(rest: S3Rest, request: LocalRequest, target: Target): LocalResponse {
  const bucket = requireBucketName(target);
  const uploadId = request.query.get("uploadId")!;
  const marker = request.query.get("part-number-marker");
  const after = marker === null ? 0 : Number.parseInt(marker, 10) || 0;
  const maxParts = parseMaxKeys(request.query.get("max-parts"), "max-parts");
  const { upload, parts, isTruncated } = rest.service.multipart.listParts(bucket, target.key!, uploadId, after, Math.min(maxParts, MAX_LIST_PARTS));
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
        ...uploadXml(rest, upload),
      ],
      S3_XMLNS,
    ),
  );
}

export function listMultipartUploads(rest: S3Rest, request: LocalRequest, target: Target): LocalResponse {
  const bucket = requireBucketName(target);
  const prefix = request.query.get("prefix") ?? "";
  const maxUploads = parseMaxKeys(request.query.get("max-uploads"), "max-uploads");
  const { uploads, isTruncated } = rest.service.multipart.listUploads(bucket, prefix, Math.min(maxUploads, MAX_LIST_UPLOADS));
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
          el("Upload", [el("Key", upload.key), el("UploadId", upload.uploadId), ...uploadXml(rest, upload), el("Initiated", isoDate(upload.initiated))]),
        ),
      ],
      S3_XMLNS,
    ),
  );
}
