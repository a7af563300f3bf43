/** S3's errors on the wire: the codes the REST layer raises itself, and the one place any error becomes S3's `<Error>` document. */
import type { LocalContext } from "../../context.js";
import type { LocalRequest, LocalResponse } from "../../server/http-types.js";
import { AwsServiceError, isAwsServiceError } from "../../aws-error.js";
import { el, xmlDocument, type Xml } from "../../server/xml.js";
import { empty, splitPath, type Target } from "./common.js";

export function notImplemented(what: string): AwsServiceError {
  return new AwsServiceError("NotImplemented", `${what} is not implemented by the wsq local cloud.`, { status: 501 });
}

export function methodNotAllowed(): AwsServiceError {
  return new AwsServiceError("MethodNotAllowed", "The specified method is not allowed against this resource.", { status: 405 });
}

/** The one place an error becomes S3's wire shape. HEAD replies carry no body, as on S3. */
export function toErrorResponse(error: unknown, request: LocalRequest, context: LocalContext): LocalResponse {
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
