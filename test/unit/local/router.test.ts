import { describe, expect, it } from "vitest";
import { selectHandler, type RouteTable } from "../../../src/local/server/router.js";
import type { LocalRequest } from "../../../src/local/server/http-types.js";

function named(name: string) {
  const handler = async () => ({ status: 200, body: name });
  return Object.assign(handler, { routeName: name });
}

const routes = {
  sqsJson: named("sqsJson"),
  sqsQuery: named("sqsQuery"),
  logsJson: named("logsJson"),
  cloudFormationQuery: named("cloudFormationQuery"),
  s3: named("s3"),
  lambda: named("lambda"),
  executeApi: named("executeApi"),
  internal: named("internal"),
} satisfies RouteTable;

function request(partial: Partial<LocalRequest> & { form?: string }): LocalRequest {
  const { form, ...rest } = partial;
  return {
    method: "POST",
    rawPath: "/",
    query: new URLSearchParams(),
    headers: form !== undefined ? { "content-type": "application/x-www-form-urlencoded" } : {},
    body: Buffer.from(form ?? ""),
    remoteAddress: "127.0.0.1",
    requestId: "r",
    ...rest,
  };
}

const routeOf = (r: LocalRequest) => (selectHandler(r, routes) as unknown as { routeName: string }).routeName;
const signed = (service: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=abc`,
});

describe("selectHandler", () => {
  it("routes AWS JSON by X-Amz-Target", () => {
    expect(routeOf(request({ headers: { "x-amz-target": "AmazonSQS.SendMessage" } }))).toBe("sqsJson");
    expect(routeOf(request({ headers: { "x-amz-target": "Logs_20140328.FilterLogEvents" } }))).toBe("logsJson");
  });

  it("routes signed requests by the SigV4 credential scope", () => {
    expect(routeOf(request({ headers: signed("cloudformation") }))).toBe("cloudFormationQuery");
    expect(routeOf(request({ headers: signed("sqs") }))).toBe("sqsQuery");
    expect(routeOf(request({ method: "PUT", rawPath: "/bucket/key", headers: signed("s3") }))).toBe("s3");
    expect(routeOf(request({ method: "GET", rawPath: "/2015-03-31/functions/f/configuration", headers: signed("lambda") }))).toBe("lambda");
  });

  it("routes unsigned Query requests by their Version", () => {
    expect(routeOf(request({ form: "Action=CreateStack&Version=2010-05-15" }))).toBe("cloudFormationQuery");
    expect(routeOf(request({ rawPath: "/000000000000/q.fifo", form: "Action=SendMessage&MessageBody=x" }))).toBe("sqsQuery");
  });

  it("routes the execute-api prefix and internal paths before anything else", () => {
    expect(routeOf(request({ rawPath: "/_aws/execute-api/abc/prod/@connections/x", headers: signed("s3") }))).toBe("executeApi");
    expect(routeOf(request({ method: "GET", rawPath: "/_wsq/health" }))).toBe("internal");
  });

  it("falls back to S3 for other REST paths", () => {
    expect(routeOf(request({ method: "GET", rawPath: "/my-bucket/some/key" }))).toBe("s3");
  });
});
