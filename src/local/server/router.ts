import type { LocalRequest, LocalResponse, HttpHandler } from "./http-types.js";
import { headerValue } from "./http-types.js";
import { signedServiceName } from "./sigv4-scope.js";
import { EXECUTE_API_PATH_PREFIX } from "../contracts.js";

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

export async function routeRequest(request: LocalRequest, routes: RouteTable): Promise<LocalResponse> {
  return selectHandler(request, routes)(request);
}
