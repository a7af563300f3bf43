import type { LocalRequest } from "../server/http-types.js";
import { headerValue } from "../server/http-types.js";
import { AwsServiceError } from "../aws-error.js";
import { decodeAwsChunked, splitContentEncoding } from "./aws-chunked.js";
import { CHECKSUM_ALGORITHMS, checksumHeaderName, computeChecksum, md5Base64, parseChecksumAlgorithm, sha256Hex, type ChecksumAlgorithm } from "./checksums.js";

/** A request body after transfer decoding and integrity checks. */
export interface VerifiedBody {
  body: Buffer;
  /** The flexible checksum the client sent (header or trailer), verified. */
  checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  /** Content-Encoding without aws-chunked (what the object keeps), if any remains. */
  contentEncoding: string | undefined;
  /** Whether a Content-MD5 was sent (and matched). */
  hadContentMd5: boolean;
}

function badDigest(message: string): AwsServiceError {
  return new AwsServiceError("BadDigest", message, { status: 400 });
}

/**
 * Decodes `aws-chunked` and checks everything a client may have sent to protect the body:
 * x-amz-content-sha256 (when it is a hash), Content-MD5, x-amz-decoded-content-length, and one
 * flexible checksum, in a header or as a trailer. A mismatch is refused with S3's error codes
 * (BadDigest, InvalidDigest, XAmzContentSHA256Mismatch, InvalidRequest), so nothing corrupted is stored.
 */
export function verifyRequestBody(request: LocalRequest): VerifiedBody {
  const encoding = splitContentEncoding(headerValue(request, "content-encoding"));
  const declaredSha256 = headerValue(request, "x-amz-content-sha256");
  let body = request.body;
  let trailers = new Map<string, string>();
  const streaming = declaredSha256?.startsWith("STREAMING-") === true;
  if (encoding.chunked || streaming) {
    ({ body, trailers } = decodeAwsChunked(request.body));
    const decodedLength = headerValue(request, "x-amz-decoded-content-length");
    if (decodedLength !== undefined && Number(decodedLength) !== body.length) {
      throw new AwsServiceError("IncompleteBody", "You did not provide the number of bytes specified by the x-amz-decoded-content-length HTTP header", {
        status: 400,
      });
    }
  } else if (declaredSha256 !== undefined && /^[0-9a-fA-F]{64}$/.test(declaredSha256)) {
    if (sha256Hex(body) !== declaredSha256.toLowerCase()) {
      throw new AwsServiceError("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        status: 400,
      });
    }
  }

  const contentMd5 = headerValue(request, "content-md5");
  if (contentMd5 !== undefined) {
    if (!/^[A-Za-z0-9+/]{22}==$/.test(contentMd5.trim())) {
      throw new AwsServiceError("InvalidDigest", "The Content-MD5 you specified was invalid.", { status: 400 });
    }
    if (md5Base64(body) !== contentMd5.trim()) throw badDigest("The Content-MD5 you specified did not match what we received.");
  }

  const provided: { algorithm: ChecksumAlgorithm; value: string }[] = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const name = checksumHeaderName(algorithm);
    const value = headerValue(request, name) ?? trailers.get(name);
    if (value !== undefined) provided.push({ algorithm, value: value.trim() });
  }
  if (provided.length > 1) {
    throw new AwsServiceError("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.", {
      status: 400,
    });
  }
  const declaredTrailer = headerValue(request, "x-amz-trailer")?.toLowerCase();
  if (declaredTrailer !== undefined && declaredTrailer.startsWith("x-amz-checksum-") && !trailers.has(declaredTrailer)) {
    throw new AwsServiceError(
      "MalformedTrailerError",
      "The request contained trailing data that was not well-formed or did not conform to our published schema.",
      {
        status: 400,
      },
    );
  }
  const sdkAlgorithmHeader = headerValue(request, "x-amz-sdk-checksum-algorithm");
  if (sdkAlgorithmHeader !== undefined) {
    const algorithm = parseChecksumAlgorithm(sdkAlgorithmHeader);
    if (algorithm === undefined) {
      throw new AwsServiceError("InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.", { status: 400 });
    }
    if (provided.length === 1 && provided[0]!.algorithm !== algorithm) {
      throw new AwsServiceError("InvalidRequest", `Value for x-amz-sdk-checksum-algorithm header is invalid.`, { status: 400 });
    }
  }
  const checksum = provided[0];
  if (checksum !== undefined && computeChecksum(checksum.algorithm, body) !== checksum.value) {
    throw badDigest(`The ${checksum.algorithm} you specified did not match the calculated checksum.`);
  }
  return { body, checksum, contentEncoding: encoding.rest, hadContentMd5: contentMd5 !== undefined };
}

/**
 * For the calls whose API model says `httpChecksum: requestChecksumRequired` (DeleteObjects,
 * PutBucketEncryption, PutBucketTagging, PutPublicAccessBlock): S3 refuses them without an
 * integrity header.
 */
export function requireIntegrityHeader(verified: VerifiedBody): void {
  if (!verified.hadContentMd5 && verified.checksum === undefined) {
    throw new AwsServiceError("InvalidRequest", "Missing required header for this request: Content-MD5", { status: 400 });
  }
}
