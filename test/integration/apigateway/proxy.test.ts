import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";

// AWS_PROXY routes through the local cloud's real Lambda service: the WebSocket proxy event, a
// function's answer going back only on a route with a route response, $connect refusals by status.

const HANDLER = `
exports.handler = async (event) => {
  const q = event.queryStringParameters || {};
  if (event.requestContext.eventType === "CONNECT") {
    if (q.deny === "yes" || (event.headers || {})["x-deny"] === "yes") return { statusCode: 401 };
    return { statusCode: 200 };
  }
  const body = JSON.parse(event.body);
  if (body.action === "boom") throw new Error("boom");
  return { statusCode: 200, body: JSON.stringify(event) };
};
`;

async function open(url: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(url, { headers });
  const frames: string[] = [];
  const waiting: ((text: string) => void)[] = [];
  socket.on("message", (data: Buffer) => {
    const waiter = waiting.shift();
    if (waiter !== undefined) waiter(data.toString("utf8"));
    else frames.push(data.toString("utf8"));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    socket.once("error", reject);
  });
  const next = () => (frames.length > 0 ? Promise.resolve(frames.shift()!) : new Promise<string>((resolve) => waiting.push(resolve)));
  return { socket, next };
}

describe("local API Gateway AWS_PROXY routes", () => {
  it("invokes the function with the WebSocket proxy event and answers only on a route with a route response", async () => {
    const cloud = await useTestCloud();
    const lambda = new LambdaClient({ ...sdkConfig(cloud), maxAttempts: 1 });
    const { FunctionArn } = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: "ws-proxy",
        Runtime: "nodejs22.x",
        Handler: "index.handler",
        Role: "arn:aws:iam::000000000000:role/r",
        Code: { ZipFile: zipSync({ "index.js": strToU8(HANDLER) }) },
        Timeout: 10,
      }),
    );
    lambda.destroy();
    const api = cloud.services.apigateway.api;
    const { ApiId, ApiEndpoint } = await api.createApi({ Name: "proxy", ProtocolType: "WEBSOCKET", RouteSelectionExpression: "$request.body.action" });
    const { IntegrationId } = await api.createIntegration({
      ApiId,
      IntegrationType: "AWS_PROXY",
      IntegrationMethod: "POST",
      IntegrationUri: `arn:aws:apigateway:${cloud.region}:lambda:path/2015-03-31/functions/${FunctionArn}/invocations`,
    });
    const target = `integrations/${IntegrationId}`;
    await api.createRoute({ ApiId, RouteKey: "$connect", Target: target });
    const echo = await api.createRoute({ ApiId, RouteKey: "echo", Target: target, RouteResponseSelectionExpression: "$default" });
    await api.createRouteResponse({ ApiId, RouteId: echo.RouteId, RouteResponseKey: "$default" });
    await api.createRoute({ ApiId, RouteKey: "$default", Target: target });
    await api.createStage({ ApiId, StageName: "live", AutoDeploy: true });
    const url = `${ApiEndpoint}/live`;

    await expect(open(`${url}?deny=yes`)).rejects.toThrow("HTTP 401");
    await expect(open(url, { "x-deny": "yes" })).rejects.toThrow("HTTP 401");

    const client = await open(`${url}?who=me`);
    try {
      client.socket.send(JSON.stringify({ action: "quiet" }));
      client.socket.send(JSON.stringify({ action: "echo", n: 1 }));
      const event = JSON.parse(await client.next()) as { body: string; isBase64Encoded: boolean; requestContext: Record<string, unknown> };
      expect(event.body).toBe(JSON.stringify({ action: "echo", n: 1 }));
      expect(event.isBase64Encoded).toBe(false);
      expect(event.requestContext).toMatchObject({
        routeKey: "echo",
        eventType: "MESSAGE",
        messageDirection: "IN",
        stage: "live",
        apiId: ApiId,
        domainName: `127.0.0.1:${cloud.port}`,
        connectionId: expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/),
        requestId: expect.any(String),
        messageId: expect.any(String),
        connectedAt: expect.any(Number),
        requestTimeEpoch: expect.any(Number),
        identity: { sourceIp: "127.0.0.1" },
      });
      // The quiet frame went to the one-way $default route: its function result is not sent.
      client.socket.send(JSON.stringify({ action: "echo", n: 2 }));
      expect((JSON.parse(await client.next()) as { body: string }).body).toBe(JSON.stringify({ action: "echo", n: 2 }));

      client.socket.send(JSON.stringify({ action: "boom" }));
      expect(JSON.parse(await client.next())).toMatchObject({ message: "Internal server error", connectionId: event.requestContext.connectionId });
    } finally {
      client.socket.close();
    }
  });
});
