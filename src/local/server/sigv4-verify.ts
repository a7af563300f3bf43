/**
 * Opt-in SigV4 verification (`wsq local start --verify-signatures`): every AWS API request must be
 * signed with the local cloud's credentials, as AWS requires its own. Off by default, because the
 * local cloud's point is that any client works with any credentials.
 *
 * The canonical request and signature are recomputed with @smithy/signature-v4, the signer the AWS
 * SDK itself uses, over exactly the headers the client says it signed; only the comparison, the
 * parsing of the Authorization header and AWS's error answers are written here.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { NodeSha256 } from "../../shared/node-sha256.js";
import type { LocalRequest } from "./http-types.js";
import { headerValue } from "./http-types.js";
import { el, xmlDocument } from "./xml.js";

export { NodeSha256 };

/** AWS refuses a request whose X-Amz-Date is more than 15 minutes from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export type SignatureProblem = {
  code: "MissingAuthenticationToken" | "IncompleteSignature" | "InvalidClientTokenId" | "SignatureDoesNotMatch" | "RequestExpired";
  message: string;
};

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  presigned: boolean;
  expires?: number;
}

function parseAuthorization(request: LocalRequest): ParsedAuthorization | SignatureProblem {
  const header = headerValue(request, "authorization");
  const presignedCredential = request.query.get("X-Amz-Credential");
  if (header === undefined && presignedCredential === null) {
    return { code: "MissingAuthenticationToken", message: "Request is missing Authentication Token" };
  }
  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  let presigned = false;
  let expires: number | undefined;
  if (header !== undefined) {
    if (!header.startsWith("AWS4-HMAC-SHA256 ")) return { code: "IncompleteSignature", message: "Only AWS4-HMAC-SHA256 signatures are accepted." };
    credential = /Credential=([^,\s]+)/.exec(header)?.[1];
    signedHeaders = /SignedHeaders=([^,\s]+)/.exec(header)?.[1];
    signature = /Signature=([0-9a-f]+)/.exec(header)?.[1];
  } else {
    presigned = true;
    credential = presignedCredential ?? undefined;
    signedHeaders = request.query.get("X-Amz-SignedHeaders") ?? undefined;
    signature = request.query.get("X-Amz-Signature") ?? undefined;
    expires = Number(request.query.get("X-Amz-Expires") ?? "900");
  }
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    return { code: "IncompleteSignature", message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters." };
  }
  const parts = credential.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request")
    return { code: "IncompleteSignature", message: `Credential should be scoped to a valid region and service: ${credential}` };
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  return {
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: signedHeaders.toLowerCase().split(";"),
    signature,
    presigned,
    ...(expires !== undefined ? { expires } : {}),
  };
}

/** X-Amz-Date (or Date) as a Date; undefined when absent or malformed. */
function requestDate(request: LocalRequest): Date | undefined {
  const amzDate = request.query.get("X-Amz-Date") ?? headerValue(request, "x-amz-date");
  if (amzDate !== undefined && amzDate !== null) {
    const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (match === null) return undefined;
    return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])));
  }
  const date = headerValue(request, "date");
  return date === undefined ? undefined : new Date(date);
}

function queryRecord(query: URLSearchParams, drop: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of query) {
    if (key === drop) continue;
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else out[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

/**
 * Verifies a request's SigV4 signature; returns the problem AWS would report, or undefined when
 * the signature is good.
 */
export async function verifySignature(request: LocalRequest, credentials: SigningCredentials, now: Date = new Date()): Promise<SignatureProblem | undefined> {
  const parsed = parseAuthorization(request);
  if ("code" in parsed) return parsed;
  if (parsed.accessKeyId !== credentials.accessKeyId) {
    return { code: "InvalidClientTokenId", message: "The security token included in the request is invalid." };
  }
  const signingDate = requestDate(request);
  if (signingDate === undefined || Number.isNaN(signingDate.getTime())) {
    return { code: "IncompleteSignature", message: "Authorization requires an X-Amz-Date or Date header." };
  }
  if (parsed.presigned) {
    if (now.getTime() > signingDate.getTime() + (parsed.expires ?? 0) * 1000) return { code: "RequestExpired", message: "Request has expired." };
  } else if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
    return { code: "SignatureDoesNotMatch", message: "Signature expired: the request time is more than 15 minutes away from the server's time." };
  }

  // A client may state the payload hash in x-amz-content-sha256 (S3 requires it, the SDK sends it
  // everywhere); the signer trusts that header, so hold it against the body actually received.
  const statedHash = headerValue(request, "x-amz-content-sha256");
  if (statedHash !== undefined && /^[0-9a-f]{64}$/.test(statedHash) && createHash("sha256").update(request.body).digest("hex") !== statedHash) {
    return { code: "SignatureDoesNotMatch", message: "The provided 'x-amz-content-sha256' header does not match what was computed." };
  }

  const headers: Record<string, string> = {};
  for (const name of parsed.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined)
      return { code: "SignatureDoesNotMatch", message: `The request signature names the header '${name}', which the request does not carry.` };
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const [hostname, port] = (headers.host ?? "127.0.0.1").split(":");
  const signer = new SignatureV4({
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    region: parsed.region,
    service: parsed.service,
    sha256: NodeSha256,
    // S3 signs the path as sent; every other service encodes it once more.
    uriEscapePath: parsed.service !== "s3",
    applyChecksum: false,
  });
  const httpRequest = {
    method: request.method,
    protocol: "http:",
    hostname: hostname ?? "127.0.0.1",
    ...(port !== undefined ? { port: Number(port) } : {}),
    path: request.rawPath,
    query: queryRecord(request.query, parsed.presigned ? "X-Amz-Signature" : ""),
    headers,
    body: request.body,
  };
  let expected: string | undefined;
  if (parsed.presigned) {
    // presign() adds the X-Amz-* parameters itself.
    const presignQuery = { ...httpRequest.query };
    for (const key of ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Security-Token"])
      delete presignQuery[key];
    const signed = await signer.presign(
      { ...httpRequest, query: presignQuery },
      { signingDate, expiresIn: parsed.expires ?? 900, signableHeaders: new Set(parsed.signedHeaders), unhoistableHeaders: new Set(Object.keys(headers)) },
    );
    const value = signed.query?.["X-Amz-Signature"];
    expected = Array.isArray(value) ? value[0] : (value ?? undefined);
  } else {
    const signed = await signer.sign(httpRequest, { signingDate, signableHeaders: new Set(parsed.signedHeaders) });
    const authorization = signed.headers.authorization ?? signed.headers.Authorization;
    expected = authorization === undefined ? undefined : /Signature=([0-9a-f]+)/.exec(authorization)?.[1];
  }
  if (expected === undefined || expected.length !== parsed.signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(parsed.signature))) {
    return {
      code: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    };
  }
  return undefined;
}

/** How a service shapes its errors on the wire; decides how a signature problem is answered. */
export type WireProtocol = "sqsJson" | "logsJson" | "query" | "s3" | "lambda" | "executeApi";

const STATUS: Record<SignatureProblem["code"], number> = {
  MissingAuthenticationToken: 403,
  IncompleteSignature: 400,
  InvalidClientTokenId: 403,
  SignatureDoesNotMatch: 403,
  RequestExpired: 400,
};

/** S3 and Lambda name the same problems differently from the JSON and Query services. */
const S3_CODES: Record<SignatureProblem["code"], string> = {
  MissingAuthenticationToken: "AccessDenied",
  IncompleteSignature: "AuthorizationHeaderMalformed",
  InvalidClientTokenId: "InvalidAccessKeyId",
  SignatureDoesNotMatch: "SignatureDoesNotMatch",
  RequestExpired: "AccessDenied",
};
const LAMBDA_CODES: Record<SignatureProblem["code"], string> = {
  MissingAuthenticationToken: "MissingAuthenticationTokenException",
  IncompleteSignature: "IncompleteSignatureException",
  InvalidClientTokenId: "UnrecognizedClientException",
  SignatureDoesNotMatch: "InvalidSignatureException",
  RequestExpired: "InvalidSignatureException",
};

export function signatureErrorResponse(
  problem: SignatureProblem,
  protocol: WireProtocol,
  requestId: string,
): { status: number; headers: Record<string, string>; body: string } {
  const status = protocol === "s3" && problem.code === "RequestExpired" ? 403 : STATUS[problem.code];
  switch (protocol) {
    case "sqsJson":
    case "logsJson":
      return {
        status,
        headers: {
          "content-type": protocol === "sqsJson" ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1",
          "x-amzn-requestid": requestId,
          ...(protocol === "sqsJson" ? { "x-amzn-query-error": `${problem.code};Sender` } : {}),
        },
        body: JSON.stringify({ __type: `com.amazon.coral.service#${problem.code}`, message: problem.message }),
      };
    case "query":
      return {
        status,
        headers: { "content-type": "text/xml", "x-amzn-requestid": requestId },
        body: xmlDocument(
          el("ErrorResponse", [el("Error", [el("Type", "Sender"), el("Code", problem.code), el("Message", problem.message)]), el("RequestId", requestId)]),
          '<?xml version="1.0"?>\n',
        ),
      };
    case "s3":
      return {
        status,
        headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
        body: xmlDocument(el("Error", [el("Code", S3_CODES[problem.code]), el("Message", problem.message), el("RequestId", requestId)])),
      };
    case "lambda":
    case "executeApi": {
      const code =
        protocol === "lambda"
          ? LAMBDA_CODES[problem.code]
          : problem.code === "MissingAuthenticationToken"
            ? "MissingAuthenticationTokenException"
            : "ForbiddenException";
      return {
        status: protocol === "executeApi" ? 403 : status,
        headers: { "content-type": "application/json", "x-amzn-requestid": requestId, "x-amzn-errortype": code },
        body: JSON.stringify({ message: problem.message }),
      };
    }
  }
}
