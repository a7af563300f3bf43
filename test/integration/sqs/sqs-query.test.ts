import { describe, expect, it } from "vitest";
import { createHash, randomUUID } from "node:crypto";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";

/** Text of every <tag>…</tag>, entity-decoded (enough XML for these replies). */
function all(xml: string, tag: string): string[] {
  const decode = (s: string) =>
    s
      .replace(/&#xD;/g, "\r")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, "&");
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => decode(m[1] as string));
}
const one = (xml: string, tag: string) => all(xml, tag)[0];

async function post(url: string, params: Record<string, string>): Promise<{ status: number; xml: string }> {
  // Encoded the way API Gateway's template does with $util.urlEncode.
  const body = Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join("&");
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  return { status: response.status, xml: await response.text() };
}

describe("SQS Query protocol (form-encoded, XML replies)", () => {
  it("accepts API Gateway's SendMessage on the queue path and delivers body and attributes", async () => {
    const cloud = await useTestCloud();
    const sqs = new SQSClient(sdkConfig(cloud));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "APIGWWebsocketQueue.fifo", Attributes: { FifoQueue: "true" } }));
    const messageBody = JSON.stringify({ MessageGroupId: "test", data: "a & b = c + d %" });
    const requestId = randomUUID();
    const { status, xml } = await post(`${cloud.url}/000000000000/APIGWWebsocketQueue.fifo`, {
      Action: "SendMessage",
      MessageGroupId: "test",
      MessageDeduplicationId: requestId,
      "MessageAttribute.1.Name": "connectionId",
      "MessageAttribute.1.Value.StringValue": "L0SM9cOFvHcCIhw=",
      "MessageAttribute.1.Value.DataType": "String",
      "MessageAttribute.2.Name": "requestId",
      "MessageAttribute.2.Value.StringValue": requestId,
      "MessageAttribute.2.Value.DataType": "String",
      MessageBody: messageBody,
    });
    expect(status).toBe(200);
    expect(xml).toContain('<SendMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">');
    expect(one(xml, "MD5OfMessageBody")).toBe(createHash("md5").update(messageBody).digest("hex"));
    expect(one(xml, "MessageId")).toMatch(/^[0-9a-f-]{36}$/);
    expect(one(xml, "SequenceNumber")).toMatch(/^\d{20}$/);
    expect(one(xml, "MD5OfMessageAttributes")).toMatch(/^[0-9a-f]{32}$/);
    expect(one(xml, "RequestId")).toBeDefined();

    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ["All"] }));
    expect(got.Messages?.[0]?.Body).toBe(messageBody);
    expect(got.Messages?.[0]?.MessageAttributes?.connectionId?.StringValue).toBe("L0SM9cOFvHcCIhw=");
    expect(got.Messages?.[0]?.MessageAttributes?.requestId?.StringValue).toBe(requestId);
    expect(got.Messages?.[0]?.MD5OfMessageAttributes).toBe(one(xml, "MD5OfMessageAttributes"));
  });

  it("is callable in-process through plugin.query with the request API Gateway would POST", async () => {
    const cloud = await useTestCloud();
    await cloud.services.sqs.api.createQueue({ QueueName: "inproc" });
    const reply = await cloud.services.sqs.query({
      method: "POST",
      rawPath: "/000000000000/inproc",
      query: new URLSearchParams(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: Buffer.from("Action=SendMessage&MessageBody=hello"),
      remoteAddress: "127.0.0.1",
      requestId: "r-1",
    });
    expect(reply.status).toBe(200);
    expect(one(String(reply.body), "MD5OfMessageBody")).toBe(createHash("md5").update("hello").digest("hex"));
  });

  it("runs the queue lifecycle, batches and receive with QueueUrl parameters", async () => {
    const cloud = await useTestCloud();
    const created = await post(cloud.url, {
      Action: "CreateQueue",
      QueueName: "q",
      "Attribute.1.Name": "VisibilityTimeout",
      "Attribute.1.Value": "40",
      "Tag.1.Key": "t",
      "Tag.1.Value": "v",
    });
    expect(created.status).toBe(200);
    const url = one(created.xml, "QueueUrl") as string;
    expect(url).toBe(`${cloud.url}/000000000000/q`);

    const attrs = await post(cloud.url, { Action: "GetQueueAttributes", QueueUrl: url, "AttributeName.1": "VisibilityTimeout", "AttributeName.2": "QueueArn" });
    expect(all(attrs.xml, "Name")).toEqual(["VisibilityTimeout", "QueueArn"]);
    expect(all(attrs.xml, "Value")[0]).toBe("40");

    const batch = await post(cloud.url, {
      Action: "SendMessageBatch",
      QueueUrl: url,
      "SendMessageBatchRequestEntry.1.Id": "a",
      "SendMessageBatchRequestEntry.1.MessageBody": "first\r\n<&>",
      "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name": "bin",
      "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.BinaryValue": Buffer.from([9, 8]).toString("base64"),
      "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType": "Binary",
      "SendMessageBatchRequestEntry.2.Id": "b",
      "SendMessageBatchRequestEntry.2.MessageBody": "second",
      "SendMessageBatchRequestEntry.3.Id": "c",
      "SendMessageBatchRequestEntry.3.MessageBody": "\u0001",
    });
    expect(all(batch.xml, "Id")).toEqual(["a", "b", "c"]);
    expect(batch.xml).toContain("<BatchResultErrorEntry><Id>c</Id><SenderFault>true</SenderFault><Code>InvalidMessageContents</Code>");

    const received = await post(cloud.url, {
      Action: "ReceiveMessage",
      QueueUrl: url,
      MaxNumberOfMessages: "10",
      "AttributeName.1": "All",
      "MessageAttributeName.1": "All",
    });
    const bodies = all(received.xml, "Body");
    expect(bodies.sort()).toEqual(["first\r\n<&>", "second"]);
    expect(all(received.xml, "MD5OfBody").sort()).toEqual(bodies.map((b) => createHash("md5").update(b).digest("hex")).sort());
    expect(received.xml).toContain(`<BinaryValue>${Buffer.from([9, 8]).toString("base64")}</BinaryValue>`);
    expect(all(received.xml, "Name")).toContain("ApproximateReceiveCount");
    const handles = all(received.xml, "ReceiptHandle");

    const deleted = await post(cloud.url, {
      Action: "DeleteMessageBatch",
      QueueUrl: url,
      "DeleteMessageBatchRequestEntry.1.Id": "x",
      "DeleteMessageBatchRequestEntry.1.ReceiptHandle": handles[0] as string,
      "DeleteMessageBatchRequestEntry.2.Id": "y",
      "DeleteMessageBatchRequestEntry.2.ReceiptHandle": handles[1] as string,
    });
    expect(deleted.xml).toContain("<DeleteMessageBatchResultEntry><Id>x</Id></DeleteMessageBatchResultEntry>");

    const tags = await post(cloud.url, { Action: "ListQueueTags", QueueUrl: url });
    expect(tags.xml).toContain("<Tag><Key>t</Key><Value>v</Value></Tag>");
    const list = await post(cloud.url, { Action: "ListQueues", QueueNamePrefix: "q" });
    expect(all(list.xml, "QueueUrl")).toEqual([url]);
    const gone = await post(cloud.url, { Action: "DeleteQueue", QueueUrl: url });
    expect(gone.xml).toContain("<DeleteQueueResponse");
  });

  it("returns errors as <ErrorResponse> with Type, legacy Code and the HTTP status", async () => {
    const cloud = await useTestCloud();
    const missing = await post(`${cloud.url}/000000000000/nope`, { Action: "SendMessage", MessageBody: "x" });
    expect(missing.status).toBe(400);
    expect(missing.xml).toContain("<ErrorResponse");
    expect(one(missing.xml, "Type")).toBe("Sender");
    expect(one(missing.xml, "Code")).toBe("AWS.SimpleQueueService.NonExistentQueue");
    expect(one(missing.xml, "RequestId")).toBeDefined();

    await cloud.services.sqs.api.createQueue({ QueueName: "g.fifo", Attributes: { FifoQueue: "true" } });
    const noGroup = await post(`${cloud.url}/000000000000/g.fifo`, { Action: "SendMessage", MessageBody: "x", MessageDeduplicationId: "d" });
    expect([noGroup.status, one(noGroup.xml, "Code")]).toEqual([400, "MissingParameter"]);

    const badHandle = await post(`${cloud.url}/000000000000/g.fifo`, { Action: "DeleteMessage", ReceiptHandle: "nope" });
    expect([badHandle.status, one(badHandle.xml, "Code")]).toEqual([404, "ReceiptHandleIsInvalid"]);

    const unknown = await post(cloud.url, { Action: "FlyToTheMoon" });
    expect([unknown.status, one(unknown.xml, "Code")]).toEqual([400, "InvalidAction"]);

    const tooMany = await post(`${cloud.url}/000000000000/g.fifo`, { Action: "ReceiveMessage", MaxNumberOfMessages: "11" });
    expect([tooMany.status, one(tooMany.xml, "Code")]).toEqual([400, "InvalidParameterValue"]);
  });

  it("serves the queue URL lookups API Gateway and the event source mapping use", async () => {
    const cloud = await useTestCloud();
    const { QueueUrl } = await cloud.services.sqs.api.createQueue({ QueueName: "lookup.fifo", Attributes: { FifoQueue: "true" } });
    expect(cloud.services.sqs.api.queueUrlFromArn(`arn:aws:sqs:${cloud.region}:000000000000:lookup.fifo`)).toBe(QueueUrl);
    expect(cloud.services.sqs.api.queueUrlFromPath("/000000000000/lookup.fifo")).toBe(QueueUrl);
    expect(cloud.services.sqs.api.queueUrlFromPath("/000000000000/other")).toBeUndefined();
    expect(cloud.services.sqs.api.queueUrlFromArn("arn:aws:sqs:us-east-1:000000000000:other")).toBeUndefined();
    // Any host in an incoming QueueUrl addresses the same queue.
    const sent = await cloud.services.sqs.api.sendMessage({
      QueueUrl: "http://localhost:1/000000000000/lookup.fifo",
      MessageBody: "x",
      MessageGroupId: "g",
      MessageDeduplicationId: "d",
    });
    expect(sent.MessageId).toBeDefined();
  });
});
