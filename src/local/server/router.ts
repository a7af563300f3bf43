import type { LocalRequest, LocalResponse, HttpHandler } from "./http-types.js";
import { headerValue } from "./http-types.js";
import { signedServiceName } from "./sigv4-scope.js";
import { EXECUTE_API_PATH_PREFIX } from "../contracts.js";
import type { WireProtocol } from "./sigv4-verify.js";

/** The protocol adapters the router can hand a request to. */
export interface RouteTable {
  sqsJson: HttpHandler;
  sqsQuery: HttpHandler;
  logsJson: HttpHandler;
  cloudFormationQuery: HttpHandler;
  s3: HttpHandler;
  lambda: HttpHandler;
  executeApi: HttpHandler;
  internal: HttpHandler;
}

const CLOUDFORMATION_VERSION = "2010-05-15";
const SQS_VERSION = "2012-11-05";

function isFormEncoded(request: LocalRequest): boolean {
  return (headerValue(request, "content-type") ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded");
}

/** Query-protocol parameters may come in the body (POST) or the query string (GET). */
function queryParameter(request: LocalRequest, name: string): string | undefined {
  if (isFormEncoded(request)) {
    const value = new URLSearchParams(request.body.toString("utf8")).get(name);
    if (value !== null) return value;
  }
  return request.query.get(name) ?? undefined;
}

/**
 * Picks the service for a request the way the protocol tells: the JSON target header, the
 * SigV4 credential scope, the Query `Version`, the REST path. Real AWS does this by host name;
 * one loopback port cannot, so these signals stand in for it.
 */
export function selectHandler(request: LocalRequest, routes: RouteTable): HttpHandler {
  if (request.rawPath.startsWith("/_wsq/")) return routes.internal;
  if (request.rawPath.startsWith(EXECUTE_API_PATH_PREFIX)) return routes.executeApi;

  const target = headerValue(request, "x-amz-target");
  if (target?.startsWith("AmazonSQS.")) return routes.sqsJson;
  if (target?.startsWith("Logs_20140328.")) return routes.logsJson;

  switch (signedServiceName(request)) {
    case "sqs":
      return routes.sqsQuery;
    case "cloudformation":
      return routes.cloudFormationQuery;
    case "s3":
      return routes.s3;
    case "lambda":
      return routes.lambda;
    case "logs":
      return routes.logsJson;
    case "execute-api":
      return routes.executeApi;
    default:
      break;
  }

  if (request.rawPath.startsWith("/2015-03-31/") || request.rawPath.startsWith("/2017-03-31/")) return routes.lambda;
  const action = queryParameter(request, "Action");
  if (action !== undefined) {
    const version = queryParameter(request, "Version");
    if (version === CLOUDFORMATION_VERSION) return routes.cloudFormationQuery;
    if (version === SQS_VERSION || version === undefined) return routes.sqsQuery;
  }
  return routes.s3;
}

/** Checks a request before it reaches its service (SigV4 verification); returns a reply to refuse it. */
export type RequestGate = (request: LocalRequest, protocol: WireProtocol) => Promise<LocalResponse | undefined>;

function wireProtocolOf(handler: HttpHandler, routes: RouteTable): WireProtocol | undefined {
  if (handler === routes.sqsJson) return "sqsJson";
  if (handler === routes.logsJson) return "logsJson";
  if (handler === routes.sqsQuery || handler === routes.cloudFormationQuery) return "query";
  if (handler === routes.s3) return "s3";
  if (handler === routes.lambda) return "lambda";
  if (handler === routes.executeApi) return "executeApi";
  return undefined;
}

export async function routeRequest(request: LocalRequest, routes: RouteTable, gate?: RequestGate): Promise<LocalResponse> {
  const handler = selectHandler(request, routes);
  const protocol = gate === undefined ? undefined : wireProtocolOf(handler, routes);
  if (gate !== undefined && protocol !== undefined) {
    const refusal = await gate(request, protocol);
    if (refusal !== undefined) return refusal;
  }
  return handler(request);
}
