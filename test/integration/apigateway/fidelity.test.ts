import { readFileSync } from "node:fs";
import { ApiGatewayManagementApiClient, GetConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { WebSocketGateway } from "../../../src/local/apigateway/gateway.js";
import type { LocalLogger, LogLevel } from "../../../src/local/context.js";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";
import { openFrameClient, sendTogether, type FrameClient } from "../../helpers/ws-client.js";

type Client = FrameClient;
/** Every client of this file says who it is, so that identity.userAgent can be checked. */
const open = (url: string): Promise<Client> => openFrameClient(url, { "user-agent": "fidelity-test/1" });

// The checklist's finer points, driven through real `ws` clients, the SQS SDK and the
// @connections SDK client: the shipped template's own mapping template, $connect/$disconnect,
// $context values, per-connection order, integration failures and the time quotas.

/** The shipped template's SQS request template, exactly as templates/wsq.yaml writes it. */
function shippedRequestTemplate(): string {
  const template = parse(readFileSync(new URL("../../../templates/wsq.yaml", import.meta.url), "utf8"), { logLevel: "error" }) as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const integration = Object.values(template.Resources).find((r) => r.Type === "AWS::ApiGatewayV2::Integration" && r.Properties.IntegrationType === "AWS");
  const joined = (integration!.Properties.RequestTemplates as Record<string, unknown>).$default;
  // `!Join ["", [...]]` reads as a plain two-element list once the tag is ignored.
  const [separator, parts] = joined as [string, string[]];
  return parts.join(separator);
}

async function receiveAll(sqs: SQSClient, QueueUrl: string, count: number): Promise<Message[]> {
  const messages: Message[] = [];
  while (messages.length < count) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 5,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    if (Messages.length === 0) throw new Error(`only ${messages.length} of ${count} messages arrived`);
    messages.push(...Messages);
    // A FIFO group stays locked while its messages are in flight: delete what was read.
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return messages;
}

/** A FIFO queue and an API whose `$default` (and optionally $connect/$disconnect) go to it through `template`. */
async function queueApi(cloud: LocalCloud, template: string, options: { lifecycle?: boolean; queueName?: string; twoWayContext?: boolean } = {}) {
  const api = cloud.services.apigateway.api;
  const sqs = new SQSClient(sdkConfig(cloud));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "fidelity.fifo", Attributes: { FifoQueue: "true" } }));
  const { ApiId, ApiEndpoint } = await api.createApi({ Name: "fidelity", ProtocolType: "WEBSOCKET", RouteSelectionExpression: "$request.body.action" });
  const integration = (requestTemplate: string) =>
    api.createIntegration({
      ApiId,
      IntegrationType: "AWS",
      IntegrationMethod: "POST",
      IntegrationUri: `arn:aws:apigateway:${cloud.region}:sqs:path/000000000000/${options.queueName ?? "fidelity.fifo"}`,
      PassthroughBehavior: "NEVER",
      RequestParameters: { "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'" },
      TemplateSelectionExpression: "\\$default",
      RequestTemplates: { $default: requestTemplate },
    });
  const main = await integration(template);
  await api.createRoute({ ApiId, RouteKey: "$default", Target: `integrations/${main.IntegrationId}` });
  if (options.lifecycle === true) {
    const lifecycle = await integration(
      "Action=SendMessage&MessageGroupId=lifecycle&MessageDeduplicationId=$context.requestId" +
        '&MessageBody=$util.urlEncode("$context.eventType $context.routeKey $context.connectionId $!context.disconnectStatusCode")',
    );
    await api.createRoute({ ApiId, RouteKey: "$connect", Target: `integrations/${lifecycle.IntegrationId}` });
    await api.createRoute({ ApiId, RouteKey: "$disconnect", Target: `integrations/${lifecycle.IntegrationId}` });
  }
  if (options.twoWayContext === true) {
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
      ResponseTemplates: {
        $default:
          '{"connectionId": "$context.connectionId", "requestId": "$context.requestId", "requestTimeEpoch": $context.requestTimeEpoch, "connectedAt": $context.connectedAt,' +
          ' "eventType": "$context.eventType", "messageId": "$context.messageId", "routeKey": "$context.routeKey", "domainName": "$context.domainName",' +
          ' "stage": "$context.stage", "apiId": "$context.apiId", "sourceIp": "$context.identity.sourceIp"}',
      },
    });
    const route = await api.createRoute({
      ApiId,
      RouteKey: "context",
      Target: `integrations/${mock.IntegrationId}`,
      RouteResponseSelectionExpression: "$default",
    });
    await api.createRouteResponse({ ApiId, RouteId: route.RouteId, RouteResponseKey: "$default" });
  }
  await api.createStage({ ApiId, StageName: "dev", AutoDeploy: true });
  return { ApiId: ApiId!, url: `${ApiEndpoint}/dev`, connections: `${ApiEndpoint!.replace(/^ws/, "http")}/dev`, QueueUrl: QueueUrl!, sqs };
}

interface LogLine {
  scope: string;
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

/** A logger that keeps the local cloud's structured lines for the test to read. */
function capturingLogger(lines: LogLine[], scope = ""): LocalLogger {
  return {
    log: (level, message, fields = {}) => lines.push({ scope, level, message, fields }),
    child: (child) => capturingLogger(lines, scope === "" ? child : `${scope}.${child}`),
  };
}

function gatewayOf(cloud: LocalCloud): WebSocketGateway {
  return (cloud.services.apigateway as unknown as { gateway: WebSocketGateway }).gateway;
}

describe("local API Gateway: the shipped template and AWS details", () => {
  it("lands frames through the shipped mapping template with the right group, dedup id, attributes and body, whatever the characters", async () => {
    const cloud = await useTestCloud();
    const { url, QueueUrl, sqs } = await queueApi(cloud, shippedRequestTemplate());
    const client = await open(url);
    try {
      const frames = [
        { action: "sendMessage", MessageGroupId: "g&1=%2+x/y?z", text: "a&b=c%20d + ü 😀" },
        { action: "sendMessage", text: "no group: the connection's own" },
      ];
      const before = Date.now();
      for (const frame of frames) client.socket.send(JSON.stringify(frame));
      const messages = await receiveAll(sqs, QueueUrl, 2);
      // The body is the frame as sent (sent together, the two may reach the queue in either order).
      expect(messages.map((m) => m.Body).sort()).toEqual(frames.map((frame) => JSON.stringify(frame)).sort());
      const grouped = messages.find((m) => m.Body === JSON.stringify(frames[0])) as Message;
      const own = messages.find((m) => m.Body === JSON.stringify(frames[1])) as Message;
      expect(grouped.Attributes?.MessageGroupId).toBe("g&1=%2+x/y?z");
      const connectionId = own.MessageAttributes?.connectionId?.StringValue;
      expect(connectionId).toMatch(/^[A-Za-z0-9_-]{15}=$/);
      expect(own.Attributes?.MessageGroupId).toBe(connectionId);
      for (const message of messages) {
        const attributes = message.MessageAttributes!;
        expect(attributes.connectionId?.StringValue).toBe(connectionId);
        expect(message.Attributes?.MessageDeduplicationId).toBe(attributes.requestId?.StringValue);
        expect(attributes.requestTimeEpoch?.DataType).toBe("Number");
        expect(Number(attributes.requestTimeEpoch?.StringValue)).toBeGreaterThanOrEqual(before - 1);
      }
      expect(messages[0]!.Attributes?.MessageDeduplicationId).not.toBe(messages[1]!.Attributes?.MessageDeduplicationId);

      // SQS allows only ASCII letters, digits and punctuation in a group id: its 400 reaches the
      // client as API Gateway's error frame, and nothing is queued.
      client.socket.send(JSON.stringify({ action: "sendMessage", MessageGroupId: "ü 😀" }));
      expect(JSON.parse(await client.next())).toMatchObject({ message: "Internal server error", connectionId });
    } finally {
      client.socket.close();
      sqs.destroy();
    }
  });

  it("queues frames that are not JSON objects verbatim in the connection's group, and fails one that starts like an object but is not JSON", async () => {
    const cloud = await useTestCloud();
    const { url, QueueUrl, sqs } = await queueApi(cloud, shippedRequestTemplate());
    const client = await open(url);
    try {
      const frames = ["plain text & more=1 %", "42", '[1, {"MessageGroupId": "x"}]', '  {"MessageGroupId": "g", "spaced":  true}'];
      for (const frame of frames) client.socket.send(frame);
      const messages = await receiveAll(sqs, QueueUrl, frames.length);
      expect(messages.map((m) => m.Body).sort()).toEqual([...frames].sort());
      const connectionId = messages[0]!.MessageAttributes?.connectionId?.StringValue;
      const groupOf = (body: string) => messages.find((m) => m.Body === body)!.Attributes?.MessageGroupId;
      for (const frame of frames.slice(0, 3)) expect(groupOf(frame), frame).toBe(connectionId);
      expect(groupOf(frames[3]!)).toBe("g");
      // The strict reading: $input.path on a body that is not JSON fails the integration.
      client.socket.send("{ not json");
      expect(JSON.parse(await client.next())).toMatchObject({ message: "Internal server error", connectionId });
    } finally {
      client.socket.close();
      sqs.destroy();
    }
  });

  it("gives templates numeric $context variables as numbers: $util.urlEncode refuses them unless quoted (strict typing)", async () => {
    const cloud = await useTestCloud();
    const template =
      "Action=SendMessage&MessageGroupId=g&MessageDeduplicationId=$util.urlEncode($context.requestId)" +
      '&MessageBody=$util.urlEncode($context.requestTimeEpoch)|$util.urlEncode("$context.connectedAt")|$util.urlEncode($context.connectedAt)';
    const { url, QueueUrl, sqs } = await queueApi(cloud, template);
    const client = await open(url);
    try {
      client.socket.send("{}");
      const [message] = await receiveAll(sqs, QueueUrl, 1);
      const [epoch, quoted, connectedAt] = message!.Body!.split("|");
      expect(epoch).toBe("$util.urlEncode($context.requestTimeEpoch)");
      expect(quoted).toMatch(/^\d{13}$/);
      expect(connectedAt).toBe("$util.urlEncode($context.connectedAt)");
    } finally {
      client.socket.close();
      sqs.destroy();
    }
  });

  it("lets frames of one connection that arrive together reach the queue in an order other than sent", async () => {
    const cloud = await useTestCloud();
    expect(cloud.orderedFrames).toBe(false);
    // The order frames arriving together take is random; this source makes it a known one
    // (Fisher-Yates drawing 0 every time rotates the batch left by one).
    gatewayOf(cloud).configure({ random: () => 0 });
    const { url, QueueUrl, sqs } = await queueApi(cloud, shippedRequestTemplate());
    const client = await open(url);
    try {
      const count = 20;
      sendTogether(
        client.socket,
        Array.from({ length: count }, (_, i) => JSON.stringify({ action: "sendMessage", MessageGroupId: "one", i })),
      );
      const messages = await receiveAll(sqs, QueueUrl, count);
      const queued = messages.map((m) => (JSON.parse(m.Body!) as { i: number }).i);
      expect(queued).toEqual([...Array.from({ length: count - 1 }, (_, i) => i + 1), 0]);
      // The queue's own order is its sequence numbers: the first frame sent was queued last.
      const sequence = messages.map((m) => BigInt(m.Attributes!.SequenceNumber!));
      expect([...sequence].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(sequence);
    } finally {
      client.socket.close();
      sqs.destroy();
    }
  });

  it("keeps one connection's frames in the order they were sent with --ordered-frames", async () => {
    const cloud = await useTestCloud({ orderedFrames: true });
    expect(gatewayOf(cloud).framesOrdered).toBe(true);
    const { url, QueueUrl, sqs } = await queueApi(cloud, shippedRequestTemplate());
    const client = await open(url);
    try {
      const count = 150;
      sendTogether(
        client.socket,
        Array.from({ length: count }, (_, i) => JSON.stringify({ action: "sendMessage", MessageGroupId: "one", i })),
      );
      const messages = await receiveAll(sqs, QueueUrl, count);
      expect(messages.map((m) => (JSON.parse(m.Body!) as { i: number }).i)).toEqual(Array.from({ length: count }, (_, i) => i));
    } finally {
      client.socket.close();
      sqs.destroy();
    }
  });

  it("runs $connect during the upgrade and $disconnect after the close, with their $context", async () => {
    const cloud = await useTestCloud();
    const { url, QueueUrl, sqs } = await queueApi(cloud, shippedRequestTemplate(), { lifecycle: true });
    try {
      const client = await open(url);
      // $connect's message is in the queue before the upgrade completed.
      const [connect] = await receiveAll(sqs, QueueUrl, 1);
      const [eventType, routeKey, connectionId] = connect!.Body!.split(" ");
      expect([eventType, routeKey]).toEqual(["CONNECT", "$connect"]);
      client.socket.close(4000, "bye");
      await client.closed;
      const [disconnect] = await receiveAll(sqs, QueueUrl, 1);
      expect(disconnect!.Body).toBe(`DISCONNECT $disconnect ${connectionId} 4000`);
    } finally {
      sqs.destroy();
    }
  });

  it("gives templates $context values shaped as on AWS", async () => {
    const cloud = await useTestCloud();
    const { ApiId, url, sqs } = await queueApi(cloud, shippedRequestTemplate(), { twoWayContext: true });
    sqs.destroy();
    const before = Date.now();
    const client = await open(url);
    try {
      client.socket.send(JSON.stringify({ action: "context" }));
      client.socket.send(JSON.stringify({ action: "context" }));
      const first = JSON.parse(await client.next()) as Record<string, unknown>;
      const second = JSON.parse(await client.next()) as Record<string, unknown>;
      expect(first).toMatchObject({
        eventType: "MESSAGE",
        routeKey: "context",
        stage: "dev",
        apiId: ApiId,
        sourceIp: "127.0.0.1",
        domainName: `127.0.0.1:${cloud.port}`,
      });
      expect(first.connectionId).toMatch(/^[A-Za-z0-9_-]{15}=$/);
      expect(second.connectionId).toBe(first.connectionId);
      expect(second.requestId).not.toBe(first.requestId);
      expect(second.messageId).not.toBe(first.messageId);
      expect(first.connectedAt).toBeGreaterThanOrEqual(before - 1);
      expect(first.requestTimeEpoch).toBeGreaterThanOrEqual(first.connectedAt as number);
    } finally {
      client.socket.close();
    }
  });

  it("answers a failing SQS integration with API Gateway's error frame and an unmatched route without $default with Forbidden", async () => {
    const lines: LogLine[] = [];
    const cloud = await useTestCloud({ log: capturingLogger(lines) });
    const { url, sqs } = await queueApi(cloud, shippedRequestTemplate(), { queueName: "missing.fifo" });
    sqs.destroy();
    const client = await open(url);
    try {
      client.socket.send(JSON.stringify({ action: "sendMessage" }));
      const frame = JSON.parse(await client.next()) as Record<string, unknown>;
      expect(frame).toEqual({ message: "Internal server error", connectionId: expect.stringMatching(/^[A-Za-z0-9_-]{15}=$/), requestId: expect.any(String) });
      // The failure is logged under the request id the client was given, with SQS's reason.
      const logged = lines.filter((line) => line.fields.requestId === frame.requestId && line.scope.includes("apigateway"));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ level: "warn", fields: { connectionId: frame.connectionId, error: expect.stringContaining("NonExistentQueue") } });
    } finally {
      client.socket.close();
    }

    const api = cloud.services.apigateway.api;
    const { ApiId, ApiEndpoint } = await api.createApi({ Name: "no-default", ProtocolType: "WEBSOCKET", RouteSelectionExpression: "$request.body.action" });
    const mock = await api.createIntegration({ ApiId, IntegrationType: "MOCK", RequestTemplates: { $default: '{"statusCode": 200}' } });
    await api.createRoute({ ApiId, RouteKey: "known", Target: `integrations/${mock.IntegrationId}` });
    await api.createStage({ ApiId, StageName: "dev", AutoDeploy: true });
    const other = await open(`${ApiEndpoint}/dev`);
    try {
      other.socket.send(JSON.stringify({ action: "unknown" }));
      expect(JSON.parse(await other.next())).toMatchObject({ message: "Forbidden" });
    } finally {
      other.socket.close();
    }
  });

  it("serves @connections on encoded paths, describes lastActiveAt and refuses other methods with 403", async () => {
    const cloud = await useTestCloud();
    const { url, connections, QueueUrl, sqs } = await queueApi(cloud, shippedRequestTemplate());
    const client = await open(url);
    const management = new ApiGatewayManagementApiClient({ ...sdkConfig(cloud), endpoint: connections });
    try {
      client.socket.send(JSON.stringify({ action: "x" }));
      const [message] = await receiveAll(sqs, QueueUrl, 1);
      const connectionId = message!.MessageAttributes!.connectionId!.StringValue!;
      const info = await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      expect(info.Identity).toEqual({ SourceIp: "127.0.0.1", UserAgent: "fidelity-test/1" });
      expect(info.LastActiveAt!.getTime()).toBeGreaterThanOrEqual(info.ConnectedAt!.getTime());

      const encoded = `${connections}/%40connections/${encodeURIComponent(connectionId)}`;
      expect(encoded).toContain("%3D");
      const posted = await fetch(encoded, { method: "POST", body: "via encoded path" });
      expect(posted.status).toBe(200);
      expect(await client.next()).toBe("via encoded path");
      const refused = await fetch(encoded, { method: "PUT", body: "x" });
      expect(refused.status).toBe(403);
      expect(refused.headers.get("x-amzn-errortype")).toBe("ForbiddenException");
      expect((await fetch(`${connections}/@connections`, { method: "GET" })).status).toBe(403);
    } finally {
      client.socket.close();
      management.destroy();
      sqs.destroy();
    }
  });

  it("closes idle connections and connections past their lifetime with 1001 (quotas lowered for the test)", async () => {
    const cloud = await useTestCloud();
    const { url, sqs } = await queueApi(cloud, shippedRequestTemplate());
    sqs.destroy();
    const gateway = gatewayOf(cloud);
    try {
      gateway.configure({ idleTimeoutMs: 150 });
      const idle = await open(url);
      expect((await idle.closed).code).toBe(1001);

      gateway.configure({ idleTimeoutMs: 60_000, maxConnectionMs: 300 });
      const busy = await open(url);
      // Activity keeps an idle timer alive but not the lifetime.
      const pinger = setInterval(() => busy.socket.ping(), 50);
      try {
        expect((await busy.closed).code).toBe(1001);
      } finally {
        clearInterval(pinger);
      }
    } finally {
      gateway.configure({ idleTimeoutMs: 10 * 60 * 1000, maxConnectionMs: 2 * 60 * 60 * 1000 });
    }
  });

  it("takes a message of up to 128 KB in frames of up to 32 KB, and closes with 1009 on a larger frame or message", async () => {
    const cloud = await useTestCloud();
    const { url, QueueUrl, sqs } = await queueApi(
      cloud,
      "Action=SendMessage&MessageGroupId=big&MessageDeduplicationId=$context.requestId&MessageBody=$util.urlEncode($input.body)",
    );
    try {
      const fragments = async (client: Client, sizes: number[]) => {
        for (const [i, size] of sizes.entries()) {
          await new Promise<void>((resolve, reject) =>
            client.socket.send("y".repeat(size), { fin: i === sizes.length - 1 }, (error) => (error ? reject(error) : resolve())),
          );
        }
      };
      const fine = await open(url);
      await fragments(fine, [32 * 1024, 32 * 1024, 32 * 1024, 32 * 1024]);
      const [message] = await receiveAll(sqs, QueueUrl, 1);
      expect(message!.Body).toBe("y".repeat(128 * 1024));
      fine.socket.close();

      const bigFrame = await open(url);
      bigFrame.socket.send("z".repeat(32 * 1024 + 1));
      expect((await bigFrame.closed).code).toBe(1009);

      const bigMessage = await open(url);
      await fragments(bigMessage, [32 * 1024, 32 * 1024, 32 * 1024, 32 * 1024, 1]).catch(() => undefined);
      expect((await bigMessage.closed).code).toBe(1009);
      // Neither refused message reached the queue.
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
      expect(Messages).toEqual([]);
    } finally {
      sqs.destroy();
    }
  });

  it("refuses new connections over the account's rate with 429 during the upgrade (rate lowered for the test)", async () => {
    const cloud = await useTestCloud();
    const { url, sqs } = await queueApi(cloud, shippedRequestTemplate());
    sqs.destroy();
    const gateway = gatewayOf(cloud);
    gateway.configure({ newConnectionsPerSecond: 0.001, newConnectionsBurst: 3 });
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => open(url)));
      const opened = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
      const refused = outcomes.flatMap((o) => (o.status === "rejected" ? [String(o.reason)] : []));
      expect(opened).toHaveLength(3);
      expect(refused).toEqual(["Error: HTTP 429", "Error: HTTP 429"]);
      for (const client of opened) client.socket.close();
    } finally {
      gateway.configure({ newConnectionsPerSecond: 500 });
    }
  });
});
