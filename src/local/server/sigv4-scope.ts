import type { LocalRequest } from "./http-types.js";
import { headerValue } from "./http-types.js";

/**
 * The service name a SigV4-signed request was signed for: `Credential=AKID/20261124/us-east-1/sqs/aws4_request`
 * in the Authorization header, or X-Amz-Credential in a presigned URL. Real AWS routes by host name;
 * on one local port this is the most reliable signal of which service a client meant.
 */
export function signedServiceName(request: LocalRequest): string | undefined {
  const authorization = headerValue(request, "authorization");
  const credential = authorization?.match(/Credential=([^,\s]+)/)?.[1] ?? request.query.get("X-Amz-Credential") ?? undefined;
  if (!credential) return undefined;
  const parts = credential.split("/");
  // AKID / date / region / service / aws4_request
  return parts.length >= 5 ? parts[parts.length - 2] : undefined;
}
