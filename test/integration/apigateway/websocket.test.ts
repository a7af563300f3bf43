import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GetConnectionCommand, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { BACKPRESSURE } from "../../../src/local/apigateway/limits.js";
import { describe, expect, it } from "vitest";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";
import { sdkConfig, startTestCloud, tempDir, useTestCloud } from "../../helpers/local-cloud.js";
import { openFrameClient } from "../../helpers/ws-client.js";

// The local API Gateway's WebSocket data plane through real `ws` clients and the real
// @connections client, with APIs built through its control plane (as CloudFormation builds them).

/** An API with a two-way MOCK `echo` route, a `$default` route into an SQS queue, and a stage. */
async function buildApi(cloud: LocalCloud, options: { stage?: { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }; connect?: number } = {}) {
  const api = cloud.services.apigateway.api;
  const sqs = new SQSClient(sdkConfig(cloud));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "in.fifo", Attributes: { FifoQueue: "true" } }));
  const { ApiId, ApiEndpoint } = await api.createApi({ Name: "t", ProtocolType: "WEBSOCKET", RouteSelectionExpression: "$request.body.action" });
  const mock = await api.createIntegration({
    ApiId,
    IntegrationType: "MOCK",
    RequestTemplates: { $default: '{"statusCode": 200}' },
    TemplateSelectionExpression: "\\$default",
  });
  await api.createIntegrationResponse({
    ApiId,
    IntegrationId: mock.IntegrationId,
    IntegrationResponseKey: "$default",
    ResponseTemplates: { $default: '{"route": "$context.routeKey", "connectionId": "$context.connectionId"}' },
  });
  const echo = await api.createRoute({ ApiId, RouteKey: "echo", Target: `integrations/${mock.IntegrationId}`, RouteResponseSelectionExpression: "$default" });
  await api.createRouteResponse({ ApiId, RouteId: echo.RouteId, RouteResponseKey: "$default" });
  const toQueue = await api.createIntegration({
    ApiId,
    IntegrationType: "AWS",
    IntegrationMethod: "POST",
    IntegrationUri: `arn:aws:apigateway:${cloud.region}:sqs:path/000000000000/in.fifo`,
    PassthroughBehavior: "NEVER",
    RequestParameters: { "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'" },
    TemplateSelectionExpression: "\\$default",
    RequestTemplates: {
      $default:
        "Action=SendMessage&MessageGroupId=$util.urlEncode($context.connectionId)&MessageDeduplicationId=$context.requestId&MessageBody=$util.urlEncode($input.body)",
    },
  });
  await api.createRoute({ ApiId, RouteKey: "$default", Target: `integrations/${toQueue.IntegrationId}` });
  if (options.connect !== undefined) {
    const gate = await api.createIntegration({ ApiId, IntegrationType: "MOCK", RequestTemplates: { $default: `{"statusCode": ${options.connect}}` } });
    await api.createRoute({ ApiId, RouteKey: "$connect", Target: `integrations/${gate.IntegrationId}` });
  }
  await api.createStage({ ApiId, StageName: "dev", AutoDeploy: true, ...(options.stage ? { DefaultRouteSettings: options.stage } : {}) });
  return { ApiId: ApiId!, url: `${ApiEndpoint}/dev`, connections: `${ApiEndpoint!.replace(/^ws/, "http")}/dev`, QueueUrl: QueueUrl!, sqs };
}

describe("local API Gateway WebSocket APIs", () => {
  it("selects routes by the body: a two-way MOCK route answers, everything else goes to the queue", async () => {
    const cloud = await useTestCloud();
    const { url, QueueUrl, sqs } = await buildApi(cloud);
    const client = await openFrameClient(url);
    try {
      client.socket.send(JSON.stringify({ action: "echo", n: 1 }));
      expect(JSON.parse(await client.next())).toEqual({ route: "echo", connectionId: expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/) });
      client.socket.send(JSON.stringify({ action: "other", text: "a&b=c ü" }));
      client.socket.send("not json at all");
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }));
      // Sent together, the two frames may reach the queue in either order (as on AWS).
      expect(received.Messages?.map((m) => m.Body).sort()).toEqual([JSON.stringify({ action: "other", text: "a&b=c ü" }), "not json at all"].sort());
    } finally {
      client.socket.close();
      sqs.destroy();
    }
  });

  it("posts to, describes and closes a connection through the Management API", async () => {
    const cloud = await useTestCloud();
    const { url, connections, sqs, QueueUrl } = await buildApi(cloud);
    const client = await openFrameClient(url);
    const management = new ApiGatewayManagementApiClient({ ...sdkConfig(cloud), endpoint: connections });
    try {
      await expect(management.send(new PostToConnectionCommand({ ConnectionId: "AAAAAAAAAAAAAAA=", Data: "x" }))).rejects.toMatchObject({
        name: "GoneException",
        $metadata: { httpStatusCode: 410 },
      });
      // The SQS integration records the connection id as the message group.
      client.socket.send(JSON.stringify({ action: "other" }));
      const [message] =
        (await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5, MessageSystemAttributeNames: ["MessageGroupId"] }))).Messages ?? [];
      const connectionId = message!.Attributes!.MessageGroupId!;
      expect(connectionId).toMatch(/^[A-Za-z0-9_-]{15}=$/);

      const posted = await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: new TextEncoder().encode('{"hello":true}') }));
      expect(await client.next()).toBe('{"hello":true}');
      // The empty 200 says its length (no chunked framing for an empty body).
      const answer = await fetch(`${connections}/@connections/${encodeURIComponent(connectionId)}`, { method: "POST", body: "raw" });
      expect([answer.status, answer.headers.get("content-length"), answer.headers.get("transfer-encoding")]).toEqual([200, "0", null]);
      expect(await client.next()).toBe("raw");
      expect(posted.$metadata.httpStatusCode).toBe(200);
      const info = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      expect(info.Identity?.SourceIp).toBe("127.0.0.1");
      expect(info.ConnectedAt).toBeInstanceOf(Date);
      await expect(management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: new Uint8Array(128 * 1024 + 1) }))).rejects.toMatchObject({
        name: "PayloadTooLargeException",
      });
      await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      expect((await client.closed).code).toBe(1000);
      await expect(management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: "late" }))).rejects.toMatchObject({
        name: "GoneException",
        $metadata: { httpStatusCode: 410 },
      });
    } finally {
      management.destroy();
      sqs.destroy();
    }
  });

  it("refuses what API Gateway refuses: unknown stage, a failing $connect, binary and oversized messages", async () => {
    const cloud = await useTestCloud();
    const { url, sqs } = await buildApi(cloud, { connect: 403 });
    sqs.destroy();
    await expect(openFrameClient(url)).rejects.toThrow("HTTP 403");
    await expect(openFrameClient(url.replace(/\/dev$/, "/nope"))).rejects.toThrow("HTTP 403");
    await expect(openFrameClient(url.replace(/\/[a-z0-9]{10}\/dev$/, "/zzzzzzzzzz/dev"))).rejects.toThrow("HTTP 404");

    const open2 = await buildApi(cloud);
    open2.sqs.destroy();
    const binary = await openFrameClient(open2.url);
    binary.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await binary.closed).code).toBe(1003);
    const big = await openFrameClient(open2.url);
    big.socket.send("x".repeat(128 * 1024 + 1));
    expect((await big.closed).code).toBe(1009);
  });

  it("throttles a stage with its route settings: the message over the burst gets 'Too Many Requests'", async () => {
    const cloud = await useTestCloud();
    const { url, sqs } = await buildApi(cloud, { stage: { ThrottlingRateLimit: 0.001, ThrottlingBurstLimit: 2 } });
    sqs.destroy();
    const client = await openFrameClient(url);
    try {
      for (let i = 0; i < 3; i++) client.socket.send(JSON.stringify({ action: "echo", i }));
      const frames = [await client.next(), await client.next(), await client.next()].map((text) => JSON.parse(text) as Record<string, unknown>);
      expect(frames.filter((f) => f.message === "Too Many Requests")).toHaveLength(1);
      expect(frames.filter((f) => f.route === "echo")).toHaveLength(2);
    } finally {
      client.socket.close();
    }
  });

  it("queues a flood from many connections whole and in each connection's order, a bounded number of frames per event-loop turn", async () => {
    // Arrival order per connection (the shuffle of frames read together is the fidelity tests'
    // subject), and a high-throughput queue: 1,200 sends at once would pass a normal FIFO queue's
    // 300/s quota, while each connection's group stays within its own.
    const cloud = await useTestCloud({ orderedFrames: true });
    const { url, QueueUrl, sqs } = await buildApi(cloud);
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" } }));
    const connections = 10;
    const perConnection = 120; // 1,200 frames: several turns' budget, and past each connection's in-flight limit
    expect(connections * perConnection).toBeGreaterThan(2 * BACKPRESSURE.maxFramesPerTurn);
    expect(perConnection).toBeGreaterThan(BACKPRESSURE.maxInFlightFrames);
    const clients = await Promise.all(Array.from({ length: connections }, () => openFrameClient(url)));
    try {
      clients.forEach((client, c) => {
        for (let i = 0; i < perConnection; i++) client.socket.send(JSON.stringify({ action: "other", c, i }));
      });
      // The template groups by connection id: each group must hold one connection's frames in order.
      const groups = new Map<string, number[]>();
      let received = 0;
      while (received < connections * perConnection) {
        const got = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5, MessageSystemAttributeNames: ["MessageGroupId"] }),
        );
        expect(got.Messages?.length ?? 0).toBeGreaterThan(0);
        for (const message of got.Messages ?? []) {
          const { c, i } = JSON.parse(message.Body!) as { c: number; i: number };
          const key = `${message.Attributes!.MessageGroupId}/${c}`;
          groups.set(key, [...(groups.get(key) ?? []), i]);
        }
        received += got.Messages!.length;
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: got.Messages!.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle })) }));
      }
      expect(groups.size).toBe(connections);
      for (const order of groups.values()) expect(order).toEqual(Array.from({ length: perConnection }, (_, i) => i));
    } finally {
      for (const client of clients) client.socket.close();
      sqs.destroy();
    }
  });

  it("keeps its APIs across a restart on the same data", async () => {
    const dataDir = tempDir();
    const first = await startTestCloud({ dataDir, keepData: true });
    const { ApiId, sqs } = await buildApi(first);
    sqs.destroy();
    const port = first.port;
    await first.stop();
    const second = await useTestCloud({ dataDir, port });
    const client = await openFrameClient(`ws://127.0.0.1:${port}/_aws/execute-api/${ApiId}/dev`);
    try {
      client.socket.send(JSON.stringify({ action: "echo", again: true }));
      expect(JSON.parse(await client.next())).toMatchObject({ route: "echo" });
      expect((await second.services.apigateway.api.getApi({ ApiId })).Name).toBe("t");
    } finally {
      client.socket.close();
    }
  });
});
