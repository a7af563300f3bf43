/**
 * AWS JSON 1.0 adapter (`X-Amz-Target: AmazonSQS.<Action>`), what @aws-sdk/client-sqs v3 and
 * current botocore speak. SQS is `awsQueryCompatible`: an error carries `__type` in the body and
 * the legacy Query code in `x-amzn-query-error: CODE;Sender|Receiver`, which the SDK uses as the
 * error name. See "Interpreting Amazon SQS JSON API responses" in the SQS developer guide.
 */
import type { HttpHandler, LocalRequest, LocalResponse } from "../server/http-types.js";
import { headerValue } from "../server/http-types.js";
import { AwsServiceError, isAwsServiceError } from "../aws-error.js";
import type { LocalLogger } from "../context.js";
import { SQS_ACTIONS } from "./actions.js";
import { sqsErrors } from "./errors.js";
import { checkJsonInput, withoutNullMembers } from "./json-shapes.js";
import type { SqsService } from "./service.js";

const CONTENT_TYPE = "application/x-amz-json-1.0";

/** Binary attribute values travel as base64 in JSON. */
function encodeBinary(key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (key === "BinaryValue" && typeof value === "object" && value !== null && (value as { type?: string }).type === "Buffer") {
    return Buffer.from((value as { data: number[] }).data).toString("base64");
  }
  return value;
}

export function jsonErrorResponse(error: AwsServiceError, requestId: string): LocalResponse {
  return {
    status: error.status,
    headers: {
      "content-type": CONTENT_TYPE,
      "x-amzn-requestid": requestId,
      "x-amzn-query-error": `${error.queryCode ?? error.code};${error.fault}`,
    },
    body: JSON.stringify({ __type: `com.amazonaws.sqs#${error.code}`, message: error.message }),
  };
}

export function createJsonHandler(service: SqsService, log: LocalLogger): HttpHandler {
  return async (request: LocalRequest) => {
    const target = headerValue(request, "x-amz-target") ?? "";
    const action = target.startsWith("AmazonSQS.") ? target.slice("AmazonSQS.".length) : "";
    try {
      const handler = SQS_ACTIONS[action];
      if (handler === undefined) throw sqsErrors.invalidAction(`The action ${action} is not valid for this endpoint.`);
      let input: Record<string, unknown> = {};
      const text = request.body.toString("utf8");
      if (text.trim() !== "") {
        try {
          input = JSON.parse(text) as Record<string, unknown>;
        } catch {
          throw new AwsServiceError("SerializationException", "The request body is not valid JSON.", { status: 400, queryCode: "MalformedInput" });
        }
        if (typeof input !== "object" || input === null || Array.isArray(input)) {
          throw new AwsServiceError("SerializationException", "The request body must be a JSON object.", { status: 400, queryCode: "MalformedInput" });
        }
        checkJsonInput(input);
        input = withoutNullMembers(input);
      }
      const result = await handler(service, input);
      return {
        status: 200,
        headers: { "content-type": CONTENT_TYPE, "x-amzn-requestid": request.requestId },
        body: JSON.stringify(result ?? {}, encodeBinary),
      };
    } catch (error) {
      if (isAwsServiceError(error)) return jsonErrorResponse(error, request.requestId);
      log.log("error", "SQS request failed", { action, error: (error as Error).stack ?? String(error) });
      return jsonErrorResponse(
        new AwsServiceError("InternalFailure", "The request processing has failed because of an unknown error.", { status: 500 }),
        request.requestId,
      );
    }
  };
}
