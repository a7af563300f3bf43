/**
 * Lambda's REST-JSON wire (API version 2015-03-31 and the few later-dated paths), what
 * @aws-sdk/client-lambda and `aws lambda --endpoint-url` speak. Errors carry their code in the
 * `x-amzn-ErrorType` header, where the SDK's rest-json deserializer looks first, and a body with
 * `Type` and `message` as Lambda sends it. Timestamps of event source mappings go out as epoch
 * seconds (rest-json's default), FunctionConfiguration.LastModified is already a string.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Operations.html
 */
import type * as lambda from "@aws-sdk/client-lambda";
import type { HttpHandler, LocalRequest, LocalResponse } from "../server/http-types.js";
import { headerValue } from "../server/http-types.js";
import { AwsServiceError, isAwsServiceError } from "../aws-error.js";
import type { LocalLogger } from "../context.js";
import { lambdaErrors } from "./errors.js";
import { MAX_SYNC_PAYLOAD_BYTES } from "./limits.js";
import type { LambdaService } from "./service.js";

const JSON_TYPE = "application/json";

type Params = Record<string, string>;
type Route = {
  method: string;
  pattern: RegExp;
  names: string[];
  run: (service: LambdaService, request: LocalRequest, params: Params, body: () => Record<string, unknown>) => Promise<LocalResponse>;
};

function route(method: string, template: string, run: Route["run"]): Route {
  const names: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_match, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { method, pattern: new RegExp(`^${source}/?$`), names, run };
}

/** Dates become epoch seconds (rest-json); binary blobs become base64. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toWire(item);
    return out;
  }
  return value;
}

function json(status: number, value: unknown, requestId: string, extra: Record<string, string> = {}): LocalResponse {
  return {
    status,
    headers: { "content-type": JSON_TYPE, "x-amzn-requestid": requestId, ...extra },
    body: value === undefined ? "" : JSON.stringify(toWire(value)),
  };
}

function empty(status: number, requestId: string): LocalResponse {
  return { status, headers: { "x-amzn-requestid": requestId } };
}

function errorResponse(error: AwsServiceError, requestId: string): LocalResponse {
  return {
    status: error.status,
    headers: { "content-type": JSON_TYPE, "x-amzn-requestid": requestId, "x-amzn-errortype": error.code },
    body: JSON.stringify({ Type: error.fault === "Sender" ? "User" : "Service", message: error.message }),
  };
}

function base64Field(value: unknown): Uint8Array | undefined {
  return typeof value === "string" && value !== "" ? Buffer.from(value, "base64") : undefined;
}

function maxItems(query: URLSearchParams): number | undefined {
  const raw = query.get("MaxItems");
  return raw === null ? undefined : Number(raw);
}

/** The function name in a path may be a URL-encoded ARN (`arn%3Aaws%3Alambda%3A…`). */
function functionName(params: Params, request: LocalRequest): string {
  const name = params.name ?? "";
  const qualifier = request.query.get("Qualifier");
  return qualifier ? `${name}:${qualifier}` : name;
}

async function invoke(service: LambdaService, request: LocalRequest, params: Params): Promise<LocalResponse> {
  const name = functionName(params, request);
  const invocationType = headerValue(request, "x-amz-invocation-type") ?? "RequestResponse";
  if (request.body.length > MAX_SYNC_PAYLOAD_BYTES) {
    throw lambdaErrors.requestTooLarge(
      `${request.body.length} byte payload is too large for the ${invocationType} invocation type (limit ${MAX_SYNC_PAYLOAD_BYTES} bytes)`,
    );
  }
  const text = request.body.length === 0 ? "{}" : request.body.toString("utf8");
  try {
    JSON.parse(text);
  } catch {
    throw lambdaErrors.invalidRequestContent("Could not parse request body into json: Could not parse payload into json: Unexpected character");
  }
  if (invocationType === "DryRun") {
    await service.getFunctionConfiguration({ FunctionName: name });
    return empty(204, request.requestId);
  }
  if (invocationType === "Event") {
    await service.getFunctionConfiguration({ FunctionName: name });
    service.invokeAsync(name, text);
    return empty(202, request.requestId);
  }
  if (invocationType !== "RequestResponse") {
    throw lambdaErrors.invalidParameter(
      `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`,
    );
  }
  const tail = headerValue(request, "x-amz-log-type") === "Tail";
  const { outcome, logTail } = await service.invokeWithLog(name, text, tail);
  const headers: Record<string, string> = { "content-type": JSON_TYPE, "x-amzn-requestid": outcome.requestId, "x-amz-executed-version": "$LATEST" };
  if (outcome.functionError) headers["x-amz-function-error"] = outcome.functionError;
  if (logTail !== undefined) headers["x-amz-log-result"] = logTail;
  const payload = outcome.functionError ? outcome.error : outcome.payload;
  return { status: 200, headers, body: JSON.stringify(payload === undefined ? null : payload) };
}

const ROUTES: Route[] = [
  route("POST", "/2015-03-31/functions", async (s, r, _p, body) =>
    json(201, await s.createFunction({ ...(body() as unknown as lambda.CreateFunctionRequest), Code: codeOf(body().Code) }), r.requestId),
  ),
  route("GET", "/2015-03-31/functions", async (s, r) =>
    json(200, await s.listFunctions({ Marker: r.query.get("Marker") ?? undefined, MaxItems: maxItems(r.query) }), r.requestId),
  ),
  route("GET", "/2015-03-31/functions/{name}", async (s, r, p) => json(200, await s.getFunction({ FunctionName: functionName(p, r) }), r.requestId)),
  route("DELETE", "/2015-03-31/functions/{name}", async (s, r, p) => {
    await s.deleteFunction({ FunctionName: functionName(p, r) });
    return empty(204, r.requestId);
  }),
  route("GET", "/2015-03-31/functions/{name}/configuration", async (s, r, p) =>
    json(200, await s.getFunctionConfiguration({ FunctionName: functionName(p, r) }), r.requestId),
  ),
  route("PUT", "/2015-03-31/functions/{name}/configuration", async (s, r, p, body) =>
    json(
      200,
      await s.updateFunctionConfiguration({ ...(body() as unknown as lambda.UpdateFunctionConfigurationRequest), FunctionName: functionName(p, r) }),
      r.requestId,
    ),
  ),
  route("PUT", "/2015-03-31/functions/{name}/code", async (s, r, p, body) => {
    const input = body();
    return json(
      200,
      await s.updateFunctionCode({
        ...(input as unknown as lambda.UpdateFunctionCodeRequest),
        ZipFile: base64Field(input.ZipFile),
        FunctionName: functionName(p, r),
      }),
      r.requestId,
    );
  }),
  route("GET", "/2015-03-31/functions/{name}/code-package", async (s, r, p) => ({
    status: 200,
    headers: { "content-type": "application/zip", "x-amzn-requestid": r.requestId },
    body: s.codePackage(functionName(p, r)),
  })),
  route("POST", "/2015-03-31/functions/{name}/invocations", (s, r, p) => invoke(s, r, p)),
  route("PUT", "/2017-10-31/functions/{name}/concurrency", async (s, r, p, body) => {
    const value = body().ReservedConcurrentExecutions as number | undefined;
    await s.putFunctionConcurrency({ FunctionName: functionName(p, r), ReservedConcurrentExecutions: value });
    return json(200, { ReservedConcurrentExecutions: value }, r.requestId);
  }),
  route("DELETE", "/2017-10-31/functions/{name}/concurrency", async (s, r, p) => {
    await s.deleteFunctionConcurrency({ FunctionName: functionName(p, r) });
    return empty(204, r.requestId);
  }),
  route("GET", "/2019-09-30/functions/{name}/concurrency", async (s, r, p) => {
    const concurrency = (await s.getFunction({ FunctionName: functionName(p, r) })).Concurrency;
    return json(200, concurrency ?? {}, r.requestId);
  }),
  route("POST", "/2015-03-31/functions/{name}/policy", async (s, r, p, body) =>
    json(201, await s.addPermission({ ...(body() as unknown as lambda.AddPermissionRequest), FunctionName: functionName(p, r) }), r.requestId),
  ),
  route("GET", "/2015-03-31/functions/{name}/policy", async (s, r, p) => json(200, await s.getPolicy({ FunctionName: functionName(p, r) }), r.requestId)),
  route("GET", "/2017-03-31/tags/{arn}", async (s, r, p) => json(200, await s.listTags(p.arn ?? ""), r.requestId)),
  route("POST", "/2017-03-31/tags/{arn}", async (s, r, p, body) => {
    await s.tagResource(p.arn ?? "", (body().Tags ?? {}) as Record<string, string>);
    return empty(204, r.requestId);
  }),
  route("DELETE", "/2017-03-31/tags/{arn}", async (s, r, p) => {
    await s.untagResource(p.arn ?? "", r.query.getAll("tagKeys"));
    return empty(204, r.requestId);
  }),
  route("DELETE", "/2015-03-31/functions/{name}/policy/{sid}", async (s, r, p) => {
    await s.removePermission({ FunctionName: functionName(p, r), StatementId: p.sid });
    return empty(204, r.requestId);
  }),
  route("POST", "/2015-03-31/event-source-mappings", async (s, r, _p, body) =>
    json(202, await s.createEventSourceMapping(body() as unknown as lambda.CreateEventSourceMappingRequest), r.requestId),
  ),
  route("GET", "/2015-03-31/event-source-mappings", async (s, r) =>
    json(
      200,
      await s.listEventSourceMappings({
        FunctionName: r.query.get("FunctionName") ?? undefined,
        EventSourceArn: r.query.get("EventSourceArn") ?? undefined,
        Marker: r.query.get("Marker") ?? undefined,
        MaxItems: maxItems(r.query),
      }),
      r.requestId,
    ),
  ),
  route("GET", "/2015-03-31/event-source-mappings/{uuid}", async (s, r, p) => json(200, await s.getEventSourceMapping({ UUID: p.uuid }), r.requestId)),
  route("PUT", "/2015-03-31/event-source-mappings/{uuid}", async (s, r, p, body) =>
    json(202, await s.updateEventSourceMapping({ ...(body() as unknown as lambda.UpdateEventSourceMappingRequest), UUID: p.uuid }), r.requestId),
  ),
  route("DELETE", "/2015-03-31/event-source-mappings/{uuid}", async (s, r, p) => json(202, await s.deleteEventSourceMapping({ UUID: p.uuid }), r.requestId)),
];

function codeOf(value: unknown): lambda.FunctionCode {
  const code = (value ?? {}) as Record<string, unknown>;
  return { ...(code as lambda.FunctionCode), ZipFile: base64Field(code.ZipFile) };
}

export function createLambdaRestHandler(service: LambdaService, log: LocalLogger): HttpHandler {
  return async (request: LocalRequest) => {
    try {
      let params: Params | undefined;
      let match: Route | undefined;
      let pathMatched = false;
      for (const candidate of ROUTES) {
        const found = candidate.pattern.exec(request.rawPath);
        if (!found) continue;
        pathMatched = true;
        if (candidate.method !== request.method) continue;
        match = candidate;
        params = Object.fromEntries(candidate.names.map((name, index) => [name, decodeURIComponent(found[index + 1] ?? "")]));
        break;
      }
      if (match === undefined || params === undefined) {
        if (pathMatched)
          return errorResponse(
            new AwsServiceError("MethodNotAllowedException", `${request.method} is not allowed on ${request.rawPath}.`, { status: 405 }),
            request.requestId,
          );
        throw new AwsServiceError(
          "UnknownOperationException",
          `The Lambda operation at ${request.method} ${request.rawPath} is not supported by the wsq local cloud.`,
          { status: 404 },
        );
      }
      let parsed: Record<string, unknown> | undefined;
      const body = (): Record<string, unknown> => {
        if (parsed !== undefined) return parsed;
        const text = request.body.toString("utf8");
        if (text.trim() === "") return (parsed = {});
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          throw lambdaErrors.invalidRequestContent("Could not parse request body into json.");
        }
        if (typeof value !== "object" || value === null || Array.isArray(value))
          throw lambdaErrors.invalidRequestContent("The request body must be a JSON object.");
        return (parsed = value as Record<string, unknown>);
      };
      return await match.run(service, request, params, body);
    } catch (error) {
      if (isAwsServiceError(error)) return errorResponse(error, request.requestId);
      log.log("error", "Lambda request failed", { path: request.rawPath, error: (error as Error).stack ?? String(error) });
      return errorResponse(new AwsServiceError("ServiceException", "The Lambda service encountered an internal error.", { status: 500 }), request.requestId);
    }
  };
}
