import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";
import { eventually } from "../../helpers/eventually.js";
import { manualClock, sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";
import { openFrameClient, type FrameClient } from "../../helpers/ws-client.js";

// A WebSocket API whose $default route sends each frame to a FIFO queue (API Gateway's AWS
// integration, Query protocol), driven above the queue's 300 SendMessage/s. The cloud's clock
// stands still, so exactly 300 frames of a burst get through, however fast they are served.

async function buildApi(cloud: LocalCloud, queueAttributes: Record<string, string>) {
  const api = cloud.services.apigateway.api;
  const sqs = new SQSClient({ ...sdkConfig(cloud), maxAttempts: 1 });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "in.fifo", Attributes: { FifoQueue: "true", ...queueAttributes } }));
  const { ApiId, ApiEndpoint } = await api.createApi({ Name: "t", ProtocolType: "WEBSOCKET", RouteSelectionExpression: "$request.body.action" });
  // Each frame its own message group (its request id), so the queue's messages name the frames that got in.
  const toQueue = await api.createIntegration({
    ApiId,
    IntegrationType: "AWS",
    IntegrationMethod: "POST",
    IntegrationUri: `arn:aws:apigateway:${cloud.region}:sqs:path/000000000000/in.fifo`,
    PassthroughBehavior: "NEVER",
    RequestParameters: { "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'" },
    TemplateSelectionExpression: "\\$default",
    RequestTemplates: {
      $default: "Action=SendMessage&MessageGroupId=$context.requestId&MessageDeduplicationId=$context.requestId&MessageBody=$util.urlEncode($input.body)",
    },
  });
  await api.createRoute({ ApiId, RouteKey: "$default", Target: `integrations/${toQueue.IntegrationId}` });
  await api.createStage({ ApiId, StageName: "dev", AutoDeploy: true });
  return { url: `${ApiEndpoint}/dev`, QueueUrl: QueueUrl!, sqs };
}

/** Every frame the server sends to `client`, as it arrives. */
function collect(client: FrameClient): string[] {
  const frames: string[] = [];
  client.socket.on("message", (data: Buffer) => frames.push(data.toString("utf8")));
  return frames;
}

describe("SQS throttling seen through the local API Gateway", () => {
  it("answers frames above a non-high-throughput queue's quota with the failure frame, and enqueues nothing for them", async () => {
    const cloud = await useTestCloud({ clock: manualClock() });
    const { url, QueueUrl, sqs } = await buildApi(cloud, {});
    const clients = await Promise.all([openFrameClient(url), openFrameClient(url)]);
    const replies = clients.map(collect);
    try {
      for (let i = 0; i < 200; i++) for (const [index, client] of clients.entries()) client.socket.send(JSON.stringify({ n: i, c: index }));
      const depth = async () => {
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
        return Number(Attributes?.ApproximateNumberOfMessages);
      };
      // Every frame ends either in the queue or in a reply (a one-way route answers only failures).
      await eventually(async () => (await depth()) + replies.flat().length === 400, "all 400 frames to be queued or answered");
      expect(await depth()).toBe(300);
      const failedIds = new Set<string>();
      for (const text of replies.flat()) {
        const reply = JSON.parse(text) as { message: string; connectionId: string; requestId: string };
        // What API Gateway sends when a one-way route's integration failed.
        expect(reply).toEqual({ message: "Internal server error", connectionId: expect.any(String), requestId: expect.any(String) });
        failedIds.add(reply.requestId);
      }
      expect(failedIds.size).toBe(100);
      // None of the queued messages belongs to a frame that was answered with the failure.
      const queuedIds = new Set<string>();
      for (let round = 0; round < 30; round++) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["MessageGroupId"] }),
        );
        for (const message of Messages) queuedIds.add(message.Attributes!.MessageGroupId!);
      }
      expect(queuedIds.size).toBe(300);
      expect([...queuedIds].filter((id) => failedIds.has(id))).toEqual([]);
    } finally {
      for (const client of clients) client.socket.close();
      sqs.destroy();
    }
  });

  it("lets the same burst through to a high-throughput queue when it spreads over message groups", async () => {
    const cloud = await useTestCloud({ clock: manualClock() });
    const { url, QueueUrl, sqs } = await buildApi(cloud, { DeduplicationScope: "messageGroup", FifoThroughputLimit: "perMessageGroupId" });
    const client = await openFrameClient(url);
    const replies = collect(client);
    try {
      for (let i = 0; i < 400; i++) client.socket.send(JSON.stringify({ n: i }));
      await eventually(async () => {
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }));
        return Attributes?.ApproximateNumberOfMessages === "400";
      }, "all 400 frames to be queued");
      expect(replies).toEqual([]);
    } finally {
      client.socket.close();
      sqs.destroy();
    }
  });
});
