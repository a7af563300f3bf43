import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { useTestCloud } from "../../helpers/local-cloud.js";

// The typed control plane the CloudFormation providers call: API Gateway's validation errors, and
// stages that serve a deployment's snapshot until they are pointed at a new deployment.

async function reply(url: string, frame: string): Promise<string> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => socket.once("open", () => resolve()).once("error", reject));
  try {
    const answer = new Promise<string>((resolve) => socket.once("message", (data: Buffer) => resolve(data.toString("utf8"))));
    socket.send(frame);
    return await answer;
  } finally {
    socket.close();
  }
}

describe("local API Gateway control plane", () => {
  it("refuses what API Gateway refuses, with its error codes", async () => {
    const cloud = await useTestCloud();
    const api = cloud.services.apigateway.api;
    await expect(api.createApi({ Name: "x", ProtocolType: "WEBSOCKET", RouteSelectionExpression: "action" })).rejects.toMatchObject({
      code: "BadRequestException",
      status: 400,
    });
    const { ApiId } = await api.createApi({ Name: "x", ProtocolType: "WEBSOCKET", RouteSelectionExpression: "$request.body.action" });
    await expect(api.createRoute({ ApiId, RouteKey: "a", Target: "integrations/nope123" })).rejects.toMatchObject({ code: "BadRequestException", status: 400 });
    await expect(
      api.createIntegration({ ApiId, IntegrationType: "AWS", IntegrationUri: "arn:aws:apigateway:us-east-1:sqs:path/000000000000/q", TimeoutInMillis: 30_000 }),
    ).rejects.toMatchObject({ code: "BadRequestException" });
    await api.createRoute({ ApiId, RouteKey: "a" });
    await expect(api.createRoute({ ApiId, RouteKey: "a" })).rejects.toMatchObject({ code: "ConflictException", status: 409 });
    await expect(api.getApi({ ApiId: "zzzzzzzzzz" })).rejects.toMatchObject({ code: "NotFoundException", status: 404 });
  });

  it("serves a stage without AutoDeploy from its deployment's snapshot until it moves to a new deployment", async () => {
    const cloud = await useTestCloud();
    const api = cloud.services.apigateway.api;
    const { ApiId, ApiEndpoint } = await api.createApi({ Name: "d", ProtocolType: "WEBSOCKET", RouteSelectionExpression: "$request.body.action" });
    const mock = await api.createIntegration({
      ApiId,
      IntegrationType: "MOCK",
      RequestTemplates: { $default: '{"statusCode": 200}' },
      TemplateSelectionExpression: "\\$default",
    });
    const response = await api.createIntegrationResponse({
      ApiId,
      IntegrationId: mock.IntegrationId,
      IntegrationResponseKey: "$default",
      ResponseTemplates: { $default: '{"version": 1}' },
    });
    const route = await api.createRoute({
      ApiId,
      RouteKey: "$default",
      Target: `integrations/${mock.IntegrationId}`,
      RouteResponseSelectionExpression: "$default",
    });
    await api.createRouteResponse({ ApiId, RouteId: route.RouteId, RouteResponseKey: "$default" });
    const first = await api.createDeployment({ ApiId });
    await api.createStage({ ApiId, StageName: "fixed", DeploymentId: first.DeploymentId });
    const url = `${ApiEndpoint}/fixed`;
    expect(JSON.parse(await reply(url, "{}"))).toEqual({ version: 1 });

    await api.updateIntegrationResponse({
      ApiId,
      IntegrationId: mock.IntegrationId,
      IntegrationResponseId: response.IntegrationResponseId,
      ResponseTemplates: { $default: '{"version": 2}' },
    });
    expect(JSON.parse(await reply(url, "{}"))).toEqual({ version: 1 });
    const second = await api.createDeployment({ ApiId });
    await api.updateStage({ ApiId, StageName: "fixed", DeploymentId: second.DeploymentId });
    expect(JSON.parse(await reply(url, "{}"))).toEqual({ version: 2 });
  });
});
