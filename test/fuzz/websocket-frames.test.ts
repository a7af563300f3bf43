import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { parseTemplateBody } from "../../src/local/cloudformation/template/parse.js";
import type { LocalCloud } from "../../src/local/server/local-cloud.js";
import { sdkConfig, useTestCloud } from "../helpers/local-cloud.js";

// Property-based frames through the shipped template's SQS integration: whatever a client sends,
// the frame is queued exactly as sent (the template's MessageBody is $input.body) in the right
// group, or answered with an error frame, or the connection is closed with the code API Gateway
// uses; nothing is lost silently.

function shippedRequestTemplate(): string {
  const template = parseTemplateBody(readFileSync(new URL("../../templates/wsq.yaml", import.meta.url), "utf8"));
  const resources = template.Resources as Record<string, { Properties: { RequestTemplates: Record<string, { "Fn::Join": [string, string[]] }> } }>;
  const [separator, parts] = resources.QueueIntegration!.Properties.RequestTemplates.$default!["Fn::Join"];
  return parts.join(separator);
}

async function shippedApi(cloud: LocalCloud, sqs: SQSClient): Promise<{ url: string; queueUrl: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "frames.fifo", Attributes: { FifoQueue: "true" } }));
  const api = cloud.services.apigateway.api;
  const { ApiId, ApiEndpoint } = await api.createApi({ Name: "fuzz", ProtocolType: "WEBSOCKET", RouteSelectionExpression: "$request.body.action" });
  const integration = await api.createIntegration({
    ApiId,
    IntegrationType: "AWS",
    IntegrationMethod: "POST",
    IntegrationUri: `arn:aws:apigateway:${cloud.region}:sqs:path/000000000000/frames.fifo`,
    PassthroughBehavior: "NEVER",
    RequestParameters: { "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'" },
    TemplateSelectionExpression: "\\$default",
    RequestTemplates: { $default: shippedRequestTemplate() },
  });
  await api.createRoute({ ApiId, RouteKey: "$default", Target: `integrations/${integration.IntegrationId}` });
  await api.createStage({ ApiId, StageName: "f", AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 10_000, ThrottlingBurstLimit: 5_000 } });
  return { url: `${ApiEndpoint}/f`, queueUrl: QueueUrl! };
}

/** Everything in the queue, in order, deleting as it reads. */
async function drain(sqs: SQSClient, queueUrl: string, expected: number): Promise<{ body: string; group: string }[]> {
  const out: { body: string; group: string }[] = [];
  const deadline = Date.now() + 20_000;
  while (out.length < expected && Date.now() < deadline) {
    const batch = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ["MessageGroupId"] }),
    );
    const messages = batch.Messages ?? [];
    for (const m of messages) out.push({ body: m.Body!, group: m.Attributes!.MessageGroupId! });
    if (messages.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
      );
  }
  return out;
}

// SQS accepts alphanumerics and punctuation in a group id; '&', '=', '%' and '+' are the ones that
// break an unencoded form body.
const groupChar = fc.constantFrom(..."abcXYZ0189!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".split(""));
const groupId = fc.array(groupChar, { minLength: 1, maxLength: 20 }).map((chars) => chars.join(""));

describe("fuzzing WebSocket frames through the shipped SQS integration", () => {
  it("queues any JSON frame exactly as sent, in the group it names", async () => {
    const cloud = await useTestCloud();
    const sqs = new SQSClient(sdkConfig(cloud));
    const { url, queueUrl } = await shippedApi(cloud, sqs);
    const socket = new WebSocket(url);
    await new Promise((resolve) => socket.once("open", resolve));
    const errors: string[] = [];
    socket.on("message", (data: Buffer) => errors.push(data.toString()));
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ MessageGroupId: groupId, data: fc.jsonValue({ maxDepth: 3 }), note: fc.string() }), { minLength: 1, maxLength: 5 }),
          fc.constantFrom(undefined, 1, "\t"),
          async (frames, indent) => {
            // Compact or indented: the queued body is the text as sent, whitespace included.
            const texts = frames.map((frame) => JSON.stringify(frame, null, indent));
            for (const text of texts) socket.send(text);
            const queued = await drain(sqs, queueUrl, frames.length);
            expect(errors).toEqual([]);
            // One group per frame may reorder across groups; compare as multisets keyed by group.
            const key = (x: { body: string; group: string }) => `${x.group}\u0000${x.body}`;
            expect(queued.map(key).sort()).toEqual(frames.map((f, i) => key({ group: f.MessageGroupId, body: texts[i]! })).sort());
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      socket.close();
      sqs.destroy();
    }
  }, 120_000);

  it("answers any other text frame by queueing it or with an error frame; odd frames close the connection as API Gateway does", async () => {
    // Each frame is followed by a marker that must be queued after it: --ordered-frames, since by
    // default two frames arriving together may reach the queue in either order, as on AWS.
    const cloud = await useTestCloud({ orderedFrames: true });
    const sqs = new SQSClient(sdkConfig(cloud));
    const { url, queueUrl } = await shippedApi(cloud, sqs);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string(),
            fc.string({ unit: "grapheme" }),
            fc.constantFrom("", "{", "null", "[]", '{"MessageGroupId": 5}', '{"MessageGroupId": "has space"}', "[".repeat(2000) + "]".repeat(2000)),
          ),
          async (text) => {
            const socket = new WebSocket(url);
            await new Promise((resolve) => socket.once("open", resolve));
            const replies: string[] = [];
            socket.on("message", (data: Buffer) => replies.push(data.toString()));
            socket.send(text);
            socket.send(JSON.stringify({ marker: true }));
            // The marker is queued after the frame (ordered frames).
            const queued = await drain(sqs, queueUrl, 1);
            const all = [...queued];
            while (!all.some((m) => m.body === '{"marker":true}')) all.push(...(await drain(sqs, queueUrl, 1)));
            const fromFrame = all.filter((m) => m.body !== '{"marker":true}');
            // Either the frame was queued once, or an error frame answered it.
            expect(fromFrame.length + replies.filter((r) => r.includes('"message"')).length).toBe(1);
            socket.close();
          },
        ),
        { numRuns: 60 },
      );
      // Invalid UTF-8 in a text frame and a binary frame each close the connection, with 1007 and 1003.
      for (const [payload, binary, code] of [
        [Buffer.from([0xc3, 0x28]), false, 1007],
        [Buffer.from([1, 2]), true, 1003],
      ] as const) {
        const socket = new WebSocket(url);
        await new Promise((resolve) => socket.once("open", resolve));
        const closed = new Promise<number>((resolve) => socket.once("close", (c) => resolve(c)));
        socket.send(payload, { binary });
        expect(await closed).toBe(code);
      }
      expect((await fetch(`${cloud.url}/_wsq/health`)).status).toBe(200);
    } finally {
      sqs.destroy();
    }
  }, 120_000);
});
