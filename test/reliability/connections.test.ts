import { ApiGatewayManagementApiClient, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { WebSocketGateway } from "../../src/local/apigateway/gateway.js";
import type { LocalCloud } from "../../src/local/server/local-cloud.js";
import { sdkConfig, useTestCloud } from "../helpers/local-cloud.js";
import { eventually, sleep } from "../helpers/eventually.js";

// Connection churn, vanishing clients and a client that never reads, against the local gateway
// (a two-way MOCK route answers each frame with the connection's id). Loopback only, bounded.

function gatewayOf(cloud: LocalCloud): WebSocketGateway {
  return (cloud.services.apigateway as unknown as { gateway: WebSocketGateway }).gateway;
}

async function echoApi(cloud: LocalCloud): Promise<{ url: string; connections: string }> {
  const api = cloud.services.apigateway.api;
  const { ApiId, ApiEndpoint } = await api.createApi({ Name: "churn", ProtocolType: "WEBSOCKET", RouteSelectionExpression: "$request.body.action" });
  const mock = await api.createIntegration({ ApiId, IntegrationType: "MOCK", RequestTemplates: { $default: '{"statusCode": 200}' } });
  await api.createIntegrationResponse({
    ApiId,
    IntegrationId: mock.IntegrationId,
    IntegrationResponseKey: "$default",
    ResponseTemplates: { $default: '{"connectionId": "$context.connectionId"}' },
  });
  const route = await api.createRoute({
    ApiId,
    RouteKey: "$default",
    Target: `integrations/${mock.IntegrationId}`,
    RouteResponseSelectionExpression: "$default",
  });
  await api.createRouteResponse({ ApiId, RouteId: route.RouteId, RouteResponseKey: "$default" });
  await api.createStage({ ApiId, StageName: "s", AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 10_000, ThrottlingBurstLimit: 5_000 } });
  return { url: `${ApiEndpoint}/s`, connections: `${ApiEndpoint!.replace(/^ws/, "http")}/s` };
}

/** Opens a connection, sends one frame and resolves with the connection id the gateway answers. */
async function roundTrip(url: string): Promise<{ socket: WebSocket; connectionId: string }> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => socket.once("open", () => resolve()).once("error", reject));
  const reply = new Promise<string>((resolve) =>
    socket.once("message", (data: Buffer) => resolve((JSON.parse(data.toString()) as { connectionId: string }).connectionId)),
  );
  socket.send("{}");
  return { socket, connectionId: await reply };
}

describe("connection churn and misbehaving clients", () => {
  it("serves 1,000 concurrent connections opened at API Gateway's connection rate, then lets them all go", async () => {
    const cloud = await useTestCloud();
    const { url } = await echoApi(cloud);
    const gateway = gatewayOf(cloud);
    const open: WebSocket[] = [];
    const ids = new Set<string>();
    // 1,000 in batches of 100, no faster than the 500 new connections per second API Gateway allows.
    for (let batch = 0; batch < 10; batch++) {
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 100 }, () => roundTrip(url)));
      for (const { socket, connectionId } of results) {
        open.push(socket);
        ids.add(connectionId);
      }
      const rest = 250 - (Date.now() - started);
      if (rest > 0) await sleep(rest);
    }
    expect(ids.size).toBe(1000);
    expect(gateway.connectionCount).toBe(1000);
    // Half leave politely, half vanish without a close frame.
    open.forEach((socket, i) => (i % 2 === 0 ? socket.close(1000) : socket.terminate()));
    await eventually(async () => gateway.connectionCount === 0, "every connection to be released", 20_000, 20);
    // The gateway still serves.
    const { socket } = await roundTrip(url);
    socket.close();
  }, 60_000);

  it("drops a client that never reads instead of buffering for it without bound", async () => {
    const cloud = await useTestCloud();
    const { url, connections } = await echoApi(cloud);
    const gateway = gatewayOf(cloud);
    const { socket, connectionId } = await roundTrip(url);
    // The client stops reading: its receive buffer and the kernel's fill, then the gateway's.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const management = new ApiGatewayManagementApiClient({ ...sdkConfig(cloud), endpoint: connections });
    const payload = new Uint8Array(100 * 1024).fill(97);
    let posted = 0;
    let gone = false;
    try {
      // At most 64 MiB offered; the gateway's bound is 4 MiB unsent, so it gives up long before.
      for (; posted < 640 && !gone; posted++) {
        try {
          await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: payload }));
        } catch (error) {
          expect(error).toMatchObject({ name: "GoneException" });
          gone = true;
        }
      }
    } finally {
      management.destroy();
      socket.terminate();
    }
    expect(gone).toBe(true);
    expect(posted).toBeLessThan(640);
    await eventually(async () => gateway.connectionCount === 0, "the slow connection to be released", 20_000, 20);
  }, 60_000);
});
