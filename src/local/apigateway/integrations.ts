/**
 * Runs a route's integration the way API Gateway does for WebSocket APIs: AWS service
 * integrations (SQS, through the SQS Query adapter with the exact request AWS would POST),
 * AWS_PROXY (Lambda, with the WebSocket proxy event), MOCK, and HTTP/HTTP_PROXY.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-requests.html
 */
import { randomUUID } from "node:crypto";
import type { LambdaApi, SqsPlugin } from "../contracts.js";
import type { LocalRequest } from "../server/http-types.js";
import { evaluateSelectionExpression, renderMappingTemplate, resolveParameterValue } from "./mapping/index.js";
import type { IntegrationRecord, IntegrationResponseRecord, RouteRecord } from "./model.js";

export interface IntegrationInput {
  route: RouteRecord;
  integration: IntegrationRecord;
  /** The frame's text, or "" for $connect / $disconnect. */
  body: string;
  /** $context for templates and the requestContext of proxy events. */
  context: Record<string, unknown>;
  headers: Record<string, string>;
  query: Record<string, string>;
  stageVariables: Record<string, string>;
  region: string;
}

export interface IntegrationOutcome {
  /** The integration's status (a proxy function's statusCode, the service's HTTP status). */
  status: number;
  /** The integration's response body, for two-way routes. */
  body: string;
  /** Why it failed, for the log; set when the client gets "Internal server error". */
  error?: string;
}

export interface IntegrationDependencies {
  sqs: SqsPlugin;
  lambda: LambdaApi;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Endpoint request timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Which request template applies, or what the passthrough behaviour says when none does. */
function requestBody(integration: IntegrationRecord, input: IntegrationInput): { body: string } | { refused: string } {
  const templates = integration.RequestTemplates ?? {};
  const key =
    integration.TemplateSelectionExpression === undefined
      ? "$default"
      : evaluateSelectionExpression(integration.TemplateSelectionExpression, { body: input.body, context: input.context });
  const template = (key !== undefined ? templates[key] : undefined) ?? templates.$default;
  if (template !== undefined) {
    return { body: renderMappingTemplate(template, { body: input.body, context: input.context, stageVariables: input.stageVariables }) };
  }
  const behaviour = integration.PassthroughBehavior ?? "WHEN_NO_MATCH";
  if (behaviour === "NEVER" || (behaviour === "WHEN_NO_TEMPLATES" && Object.keys(templates).length > 0)) {
    return { refused: "No request template matched and the passthrough behaviour refuses the body (415 Unsupported Media Type)." };
  }
  return { body: input.body };
}

function mappedParameters(integration: IntegrationRecord, input: IntegrationInput): { headers: Record<string, string>; query: URLSearchParams } {
  const headers: Record<string, string> = {};
  const query = new URLSearchParams();
  for (const [target, source] of Object.entries(integration.RequestParameters ?? {})) {
    const value = resolveParameterValue(source, { headers: input.headers, query: input.query, context: input.context, stageVariables: input.stageVariables });
    if (value === undefined) continue;
    const header = /^integration\.request\.header\.(.+)$/.exec(target)?.[1];
    if (header !== undefined) headers[header.toLowerCase()] = value;
    const parameter = /^integration\.request\.querystring\.(.+)$/.exec(target)?.[1];
    if (parameter !== undefined) query.append(parameter, value);
  }
  return { headers, query };
}

/** `arn:aws:apigateway:REGION:SERVICE:path/PATH` or `...:action/ACTION`. */
function parseServiceUri(uri: string): { service: string; path: string; action?: string } | undefined {
  const match = /^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:([a-z0-9-]+):(path|action)\/(.+)$/.exec(uri);
  if (match === null) return undefined;
  const [, service, kind, rest] = match as unknown as [string, string, string, string];
  return kind === "path" ? { service, path: "/" + rest } : { service, path: "/", action: rest.split("&")[0]! };
}

/** A Lambda ARN from `arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/ARN/invocations`, or the ARN itself. */
export function functionFromUri(uri: string): string {
  const match = /:lambda:path\/\d{4}-\d{2}-\d{2}\/functions\/(.+)\/invocations$/.exec(uri);
  return match !== null ? decodeURIComponent(match[1]!) : uri;
}

async function runAwsService(integration: IntegrationRecord, input: IntegrationInput, deps: IntegrationDependencies): Promise<IntegrationOutcome> {
  const target = parseServiceUri(integration.IntegrationUri ?? "");
  if (target === undefined) return { status: 500, body: "", error: `Unsupported integration URI ${String(integration.IntegrationUri)}` };
  if (target.service !== "sqs")
    return { status: 500, body: "", error: `The wsq local cloud integrates only with SQS as an AWS service; this integration names ${target.service}.` };
  const rendered = requestBody(integration, input);
  if ("refused" in rendered) return { status: 415, body: "", error: rendered.refused };
  const { headers, query } = mappedParameters(integration, input);
  if (target.action !== undefined && !query.has("Action")) query.set("Action", target.action);
  const request: LocalRequest = {
    method: integration.IntegrationMethod ?? "POST",
    rawPath: target.path,
    query,
    headers: { host: `sqs.${input.region}.amazonaws.com`, "content-type": "application/json", ...headers },
    body: Buffer.from(rendered.body, "utf8"),
    remoteAddress: "127.0.0.1",
    requestId: randomUUID(),
  };
  const response = await withTimeout(deps.sqs.query(request), integration.TimeoutInMillis ?? 29_000);
  const body = response.body === undefined ? "" : typeof response.body === "string" ? response.body : response.body.toString("utf8");
  const ok = response.status >= 200 && response.status < 300;
  return { status: response.status, body, ...(ok ? {} : { error: `SQS answered ${response.status}: ${body.slice(0, 500)}` }) };
}

/** The WebSocket proxy event Lambda receives. */
export function proxyEvent(input: IntegrationInput): Record<string, unknown> {
  const eventType = input.context.eventType;
  const event: Record<string, unknown> = { requestContext: input.context, isBase64Encoded: false };
  if (eventType === "MESSAGE") event.body = input.body;
  if (eventType === "CONNECT") {
    event.headers = input.headers;
    event.multiValueHeaders = Object.fromEntries(Object.entries(input.headers).map(([name, value]) => [name, [value]]));
    if (Object.keys(input.query).length > 0) {
      event.queryStringParameters = input.query;
      event.multiValueQueryStringParameters = Object.fromEntries(Object.entries(input.query).map(([name, value]) => [name, [value]]));
    }
  }
  if (eventType === "DISCONNECT") event.headers = input.headers;
  return event;
}

async function runLambdaProxy(integration: IntegrationRecord, input: IntegrationInput, deps: IntegrationDependencies): Promise<IntegrationOutcome> {
  const outcome = await withTimeout(
    deps.lambda.invoke(functionFromUri(integration.IntegrationUri ?? ""), proxyEvent(input)),
    integration.TimeoutInMillis ?? 29_000,
  );
  if (outcome.functionError !== undefined) {
    return { status: 502, body: "", error: `The function failed: ${outcome.error?.errorType ?? "Error"}: ${outcome.error?.errorMessage ?? ""}` };
  }
  const payload = outcome.payload;
  if (payload !== null && typeof payload === "object" && !Array.isArray(payload)) {
    const result = payload as { statusCode?: unknown; body?: unknown };
    const status = typeof result.statusCode === "number" ? result.statusCode : 200;
    const body = result.body === undefined ? "" : typeof result.body === "string" ? result.body : JSON.stringify(result.body);
    return { status, body };
  }
  return { status: 200, body: payload === undefined ? "" : JSON.stringify(payload) };
}

function runMock(integration: IntegrationRecord, input: IntegrationInput): IntegrationOutcome {
  const rendered = requestBody(integration, input);
  if ("refused" in rendered) return { status: 415, body: "", error: rendered.refused };
  // A MOCK integration's request template chooses the status: {"statusCode": 200}.
  let status = 200;
  try {
    const parsed = JSON.parse(rendered.body) as { statusCode?: unknown };
    if (typeof parsed.statusCode === "number") status = parsed.statusCode;
  } catch {
    // Not JSON: the default status.
  }
  return { status, body: "" };
}

async function runHttp(integration: IntegrationRecord, input: IntegrationInput): Promise<IntegrationOutcome> {
  const proxy = integration.IntegrationType === "HTTP_PROXY";
  const rendered = proxy ? { body: input.body } : requestBody(integration, input);
  if ("refused" in rendered) return { status: 415, body: "", error: rendered.refused };
  const { headers } = mappedParameters(integration, input);
  const response = await fetch(integration.IntegrationUri ?? "", {
    method: integration.IntegrationMethod ?? "POST",
    headers,
    body: rendered.body,
    signal: AbortSignal.timeout(integration.TimeoutInMillis ?? 29_000),
  });
  const body = await response.text();
  return { status: response.status, body, ...(response.ok ? {} : { error: `The HTTP endpoint answered ${response.status}` }) };
}

export async function runIntegration(input: IntegrationInput, deps: IntegrationDependencies): Promise<IntegrationOutcome> {
  try {
    switch (input.integration.IntegrationType) {
      case "AWS":
        return await runAwsService(input.integration, input, deps);
      case "AWS_PROXY":
        return await runLambdaProxy(input.integration, input, deps);
      case "MOCK":
        return runMock(input.integration, input);
      case "HTTP":
      case "HTTP_PROXY":
        return await runHttp(input.integration, input);
    }
  } catch (error) {
    return { status: 500, body: "", error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * For a two-way route: the text sent back to the client, from the integration response whose key
 * matches the status (`$default`, or a `/regex/` over the status code) and its template.
 */
export function routeResponseText(
  outcome: IntegrationOutcome,
  integration: IntegrationRecord,
  responses: IntegrationResponseRecord[],
  context: Record<string, unknown>,
): string {
  if (integration.IntegrationType === "AWS_PROXY" || integration.IntegrationType === "HTTP_PROXY") return outcome.body;
  const mine = responses.filter((response) => response.IntegrationId === integration.IntegrationId);
  const status = String(outcome.status);
  const chosen =
    mine.find((response) => {
      const regex = /^\/(.*)\/$/.exec(response.IntegrationResponseKey)?.[1];
      return regex !== undefined && new RegExp(`^(?:${regex})$`).test(status);
    }) ?? mine.find((response) => response.IntegrationResponseKey === "$default");
  if (chosen === undefined) return outcome.body;
  const templates = chosen.ResponseTemplates ?? {};
  const key =
    chosen.TemplateSelectionExpression === undefined
      ? "$default"
      : evaluateSelectionExpression(chosen.TemplateSelectionExpression, { body: outcome.body, context });
  const template = (key !== undefined ? templates[key] : undefined) ?? templates.$default;
  return template === undefined ? outcome.body : renderMappingTemplate(template, { body: outcome.body, context });
}
