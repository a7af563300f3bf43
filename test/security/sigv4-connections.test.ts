import { describe, expect, it, onTestFinished } from "vitest";
import { ConnectionsClient } from "../../src/handler/connections-client.js";
import { LOCAL_CREDENTIALS } from "../../src/shared/target.js";
import { useTestCloud } from "../helpers/local-cloud.js";
import { openFrameClient } from "../helpers/ws-client.js";

// The handler's own @connections client (no AWS SDK) against the local cloud's Management API
// with signature checks on (`wsq local start --verify-signatures`): its SigV4 signature of the
// `/{stage}/@connections/{id}` path is the one API Gateway checks, so the post reaches the client;
// signed with another secret it is refused and not retried.

describe("the handler's @connections client with signature checks on", () => {
  it("posts to a live connection with the local credentials, with or without a session token; a wrong secret is refused", async () => {
    const cloud = await useTestCloud({ verifySignatures: true });
    const api = cloud.services.apigateway.api;
    const { ApiId, ApiEndpoint } = await api.createApi({ Name: "signed", ProtocolType: "WEBSOCKET", RouteSelectionExpression: "$request.body.action" });
    const whoami = await api.createIntegration({ ApiId, IntegrationType: "MOCK", RequestTemplates: { $default: '{"statusCode": 200}' } });
    await api.createIntegrationResponse({
      ApiId,
      IntegrationId: whoami.IntegrationId,
      IntegrationResponseKey: "$default",
      ResponseTemplates: { $default: '{"connectionId": "$context.connectionId"}' },
    });
    const route = await api.createRoute({
      ApiId,
      RouteKey: "whoami",
      Target: `integrations/${whoami.IntegrationId}`,
      RouteResponseSelectionExpression: "$default",
    });
    await api.createRouteResponse({ ApiId, RouteId: route.RouteId, RouteResponseKey: "$default" });
    await api.createStage({ ApiId, StageName: "prod", AutoDeploy: true });

    const socket = await openFrameClient(`${ApiEndpoint}/prod`);
    onTestFinished(() => socket.socket.close());
    socket.socket.send(JSON.stringify({ action: "whoami" }));
    const { connectionId } = JSON.parse(await socket.next()) as { connectionId: string };
    expect(connectionId).toMatch(/=$/);

    const endpoint = `${ApiEndpoint!.replace(/^ws/, "http")}/prod`;
    const make = (credentials: ConstructorParameters<typeof ConnectionsClient>[0]["credentials"]) => {
      const client = new ConnectionsClient({ endpoint, region: cloud.region, credentials, sleep: async () => undefined });
      onTestFinished(() => client.destroy());
      return client;
    };
    await make({ ...LOCAL_CREDENTIALS }).postToConnection(connectionId, "signed with the local credentials");
    expect(await socket.next()).toBe("signed with the local credentials");
    await make({ ...LOCAL_CREDENTIALS, sessionToken: "a-role-session" }).postToConnection(connectionId, "with a session token");
    expect(await socket.next()).toBe("with a session token");

    await expect(make({ ...LOCAL_CREDENTIALS, secretAccessKey: "not-the-secret" }).postToConnection(connectionId, "refused")).rejects.toMatchObject({
      name: "ForbiddenException",
      $metadata: { httpStatusCode: 403, attempts: 1 },
    });
    await make({ ...LOCAL_CREDENTIALS }).postToConnection(connectionId, "after the refusal");
    expect(await socket.next()).toBe("after the refusal");
  });
});
