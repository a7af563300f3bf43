/**
 * The AWS Query protocol for CloudFormation: form-encoded `Action=…&Version=2010-05-15`
 * requests, XML replies in the 2010-05-15 namespace, and `<ErrorResponse>` errors. This is the
 * only file that knows the wire; CloudFormationService takes and returns plain objects.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/Welcome.html
 */
import { AwsServiceError } from "../aws-error.js";
import type { LocalLogger } from "../context.js";
import { headerValue, type HttpHandler, type LocalRequest, type LocalResponse } from "../server/http-types.js";
import { el, xmlConcat, xmlDocument, type Xml } from "../server/xml.js";
import type { CloudFormationService, Input, Output } from "./engine/service.js";

export const CLOUDFORMATION_NAMESPACE = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
const API_VERSION = "2010-05-15";

const ACTIONS = new Set([
  "ValidateTemplate",
  "CreateStack",
  "UpdateStack",
  "DeleteStack",
  "DescribeStacks",
  "ListStacks",
  "DescribeStackEvents",
  "DescribeStackResource",
  "DescribeStackResources",
  "ListStackResources",
  "GetTemplate",
  "GetTemplateSummary",
  "ListExports",
  "CreateChangeSet",
  "DescribeChangeSet",
  "ExecuteChangeSet",
  "DeleteChangeSet",
  "ListChangeSets",
]);

/**
 * Query parameters are flat (`Parameters.member.1.ParameterKey=…`); this rebuilds the nested
 * shape: `.member.N` (and `.entry.N` maps) become arrays, other dots become objects.
 */
export function parseQueryParameters(params: URLSearchParams): Input {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const path = key.split(".");
    let node: Record<string, unknown> | unknown[] = root;
    for (let index = 0; index < path.length; index += 1) {
      const segment = path[index]!;
      const last = index === path.length - 1;
      if ((segment === "member" || segment === "entry") && !last) continue;
      const isIndex = /^\d+$/.test(segment) && (path[index - 1] === "member" || path[index - 1] === "entry");
      const slot: string | number = isIndex ? Number(segment) - 1 : segment;
      const nextIsList = path[index + 1] === "member" || path[index + 1] === "entry";
      const container = node as Record<string | number, unknown>;
      if (last) {
        container[slot] = value;
        break;
      }
      if (container[slot] === undefined) container[slot] = nextIsList ? [] : {};
      node = container[slot] as Record<string, unknown> | unknown[];
    }
  }
  return compact(root) as Input;
}

/** Sparse arrays (member.2 without member.1) are closed up. */
function compact(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(compact);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, compact(item)]));
  return value;
}

/** Serialises a result: lists as `<member>` items, dates as ISO 8601, booleans as true/false; absent members are left out. */
export function toXml(name: string, value: unknown): Xml {
  if (value === undefined || value === null) return xmlConcat([]);
  if (Array.isArray(value))
    return el(
      name,
      value.map((item) => toXml("member", item)),
    );
  if (value instanceof Date) return el(name, value.toISOString());
  if (typeof value === "object") return el(name, membersXml(value as Record<string, unknown>));
  return el(name, typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : JSON.stringify(value));
}

function membersXml(value: Record<string, unknown>): Xml[] {
  return Object.entries(value).map(([key, item]) => toXml(key, item));
}

function xmlResponse(status: number, root: Xml, requestId: string): LocalResponse {
  return { status, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId }, body: xmlDocument(root) };
}

export function errorResponse(error: AwsServiceError, requestId: string): LocalResponse {
  const code = error.queryCode ?? error.code;
  return xmlResponse(
    error.status,
    el(
      "ErrorResponse",
      [el("Error", [el("Type", error.fault), el("Code", code), el("Message", error.message)]), el("RequestId", requestId)],
      CLOUDFORMATION_NAMESPACE,
    ),
    requestId,
  );
}

function requestParameters(request: LocalRequest): URLSearchParams {
  const contentType = (headerValue(request, "content-type") ?? "").toLowerCase();
  const params = new URLSearchParams(request.query);
  if (request.body.length > 0 && (contentType.startsWith("application/x-www-form-urlencoded") || contentType === "")) {
    for (const [key, value] of new URLSearchParams(request.body.toString("utf8"))) params.append(key, value);
  }
  return params;
}

export function createQueryHandler(service: CloudFormationService, log: LocalLogger): HttpHandler {
  return async (request) => {
    const params = requestParameters(request);
    const action = params.get("Action") ?? "";
    try {
      const version = params.get("Version");
      if (version !== null && version !== API_VERSION)
        throw new AwsServiceError("InvalidParameterValue", `Invalid API version ${version}; CloudFormation speaks ${API_VERSION}`);
      if (!ACTIONS.has(action)) throw new AwsServiceError("InvalidAction", `Could not find operation ${action} for version ${API_VERSION}`);
      const input = parseQueryParameters(params);
      const handler = (service as unknown as Record<string, (input: Input) => Promise<Output>>)[action]!;
      const result = await handler.call(service, input);
      return xmlResponse(
        200,
        el(
          `${action}Response`,
          [el(`${action}Result`, membersXml(result)), el("ResponseMetadata", [el("RequestId", request.requestId)])],
          CLOUDFORMATION_NAMESPACE,
        ),
        request.requestId,
      );
    } catch (error) {
      if (error instanceof AwsServiceError) return errorResponse(error, request.requestId);
      log.log("error", "CloudFormation request failed", { action, error: (error as Error).stack ?? String(error) });
      return errorResponse(new AwsServiceError("InternalFailure", `Internal failure: ${(error as Error).message}`, { status: 500 }), request.requestId);
    }
  };
}
