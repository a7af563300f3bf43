/**
 * AWS JSON 1.1 adapter (`X-Amz-Target: Logs_20140328.<Action>`, Content-Type
 * application/x-amz-json-1.1), what @aws-sdk/client-cloudwatch-logs speaks. Errors carry their
 * code in `__type`, which is where the SDK's JSON 1.1 deserializer reads it.
 */
import type { HttpHandler, LocalRequest, LocalResponse } from "../server/http-types.js";
import { headerValue } from "../server/http-types.js";
import { AwsServiceError, isAwsServiceError } from "../aws-error.js";
import type { LocalLogger } from "../context.js";
import type { LogsService } from "./service.js";

const CONTENT_TYPE = "application/x-amz-json-1.1";
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON body is shape-checked by the service, field by field
type Input = Record<string, any>;

const ACTIONS: Record<string, (service: LogsService, input: Input) => Promise<unknown>> = {
  CreateLogGroup: async (s, i) => s.createLogGroup(i.logGroupName, i.retentionInDays),
  DeleteLogGroup: async (s, i) => s.deleteLogGroup(i.logGroupName),
  DescribeLogGroups: async (s, i) => s.describeLogGroups(i),
  CreateLogStream: async (s, i) => s.createLogStream(i.logGroupName, i.logStreamName),
  DescribeLogStreams: async (s, i) => s.describeLogStreams(i),
  PutRetentionPolicy: async (s, i) => s.putRetentionPolicy(i.logGroupName, i.retentionInDays),
  DeleteRetentionPolicy: async (s, i) => s.deleteRetentionPolicy(i.logGroupName),
  GetLogEvents: async (s, i) => s.getLogEvents(i),
  FilterLogEvents: async (s, i) => s.filterLogEvents(i),
  PutLogEvents: async (s, i) => {
    const group = String(i.logGroupName ?? "");
    const stream = String(i.logStreamName ?? "");
    await s.describeLogStreams({ logGroupName: group, logStreamNamePrefix: stream, limit: 1 }).then((r) => {
      if (!r.logStreams.some((x) => x.logStreamName === stream))
        throw new AwsServiceError("ResourceNotFoundException", "The specified log stream does not exist.");
    });
    const events = Array.isArray(i.logEvents) ? (i.logEvents as { timestamp: number; message: string }[]) : [];
    s.putLogEvents(group, stream, events);
    return { nextSequenceToken: undefined };
  },
};

function errorResponse(error: AwsServiceError, requestId: string): LocalResponse {
  return {
    status: error.status,
    headers: { "content-type": CONTENT_TYPE, "x-amzn-requestid": requestId },
    body: JSON.stringify({ __type: error.code, message: error.message }),
  };
}

export function createLogsJsonHandler(service: LogsService, log: LocalLogger): HttpHandler {
  return async (request: LocalRequest) => {
    const target = headerValue(request, "x-amz-target") ?? "";
    const action = target.startsWith("Logs_20140328.") ? target.slice("Logs_20140328.".length) : "";
    try {
      const handler = ACTIONS[action];
      if (handler === undefined)
        throw new AwsServiceError("UnknownOperationException", `The operation ${action || "(none)"} is not supported by the wsq local cloud.`);
      let input: Input = {};
      const text = request.body.toString("utf8");
      if (text.trim() !== "") {
        try {
          input = JSON.parse(text) as Input;
        } catch {
          throw new AwsServiceError("SerializationException", "The request body is not valid JSON.");
        }
        if (typeof input !== "object" || input === null || Array.isArray(input))
          throw new AwsServiceError("SerializationException", "The request body must be a JSON object.");
      }
      const result = await handler(service, input);
      return { status: 200, headers: { "content-type": CONTENT_TYPE, "x-amzn-requestid": request.requestId }, body: JSON.stringify(result ?? {}) };
    } catch (error) {
      if (isAwsServiceError(error)) return errorResponse(error, request.requestId);
      log.log("error", "Logs request failed", { action, error: (error as Error).stack ?? String(error) });
      return errorResponse(new AwsServiceError("ServiceUnavailableException", "The service cannot complete the request.", { status: 500 }), request.requestId);
    }
  };
}
