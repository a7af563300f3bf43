import { CloudFormationClient, ListStacksCommand } from "@aws-sdk/client-cloudformation";
import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalCloud } from "../../src/local/server/local-cloud.js";
import { NodeSha256 } from "../../src/local/server/sigv4-verify.js";
import { LOCAL_CREDENTIALS } from "../../src/shared/target.js";
import { sdkConfig, startTestCloud } from "../helpers/local-cloud.js";

// `verifySignatures`: the local cloud checks every AWS API request's SigV4 signature against its
// credentials, with the error each service gives for each problem, through the real SDK clients.

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startTestCloud({ verifySignatures: true });
});
afterAll(async () => {
  await cloud.stop();
});

const wrongSecret = () => ({ ...sdkConfig(cloud), credentials: { accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: "not-the-secret" } });
const wrongKey = () => ({ ...sdkConfig(cloud), credentials: { accessKeyId: "AKIAUNKNOWN", secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey } });

describe("opt-in SigV4 verification", () => {
  it("accepts the local credentials in every protocol", async () => {
    const sqs = new SQSClient(sdkConfig(cloud));
    const s3 = new S3Client({ ...sdkConfig(cloud), forcePathStyle: true });
    try {
      await sqs.send(new CreateQueueCommand({ QueueName: "signed" }));
      expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls).toHaveLength(1);
      await new CloudFormationClient(sdkConfig(cloud)).send(new ListStacksCommand({}));
      await new LambdaClient(sdkConfig(cloud)).send(new ListFunctionsCommand({}));
      await s3.send(new CreateBucketCommand({ Bucket: "signed-bucket" }));
      await s3.send(new PutObjectCommand({ Bucket: "signed-bucket", Key: "dir/a b+c.txt", Body: "hello" }));
      const object = await s3.send(new GetObjectCommand({ Bucket: "signed-bucket", Key: "dir/a b+c.txt" }));
      expect(await object.Body!.transformToString()).toBe("hello");
    } finally {
      sqs.destroy();
      s3.destroy();
    }
  });

  it("refuses a wrong secret with each service's own error", async () => {
    await expect(new SQSClient(wrongSecret()).send(new ListQueuesCommand({}))).rejects.toMatchObject({
      name: "SignatureDoesNotMatch",
      $metadata: { httpStatusCode: 403 },
    });
    await expect(new CloudFormationClient(wrongSecret()).send(new ListStacksCommand({}))).rejects.toMatchObject({
      name: "SignatureDoesNotMatch",
      $metadata: { httpStatusCode: 403 },
    });
    await expect(new LambdaClient(wrongSecret()).send(new ListFunctionsCommand({}))).rejects.toMatchObject({
      name: "InvalidSignatureException",
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      new S3Client({ ...wrongSecret(), forcePathStyle: true }).send(new GetObjectCommand({ Bucket: "signed-bucket", Key: "dir/a b+c.txt" })),
    ).rejects.toMatchObject({
      name: "SignatureDoesNotMatch",
      $metadata: { httpStatusCode: 403 },
    });
  });

  it("refuses an unknown access key and an unsigned request", async () => {
    await expect(new SQSClient(wrongKey()).send(new ListQueuesCommand({}))).rejects.toMatchObject({
      name: "InvalidClientTokenId",
      $metadata: { httpStatusCode: 403 },
    });
    await expect(new S3Client({ ...wrongKey(), forcePathStyle: true }).send(new GetObjectCommand({ Bucket: "signed-bucket", Key: "x" }))).rejects.toMatchObject(
      { name: "InvalidAccessKeyId" },
    );
    const unsigned = await fetch(cloud.url + "/", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=ListQueues&Version=2012-11-05",
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain("<Code>MissingAuthenticationToken</Code>");
  });

  it("refuses a tampered body and a stale date, and checks presigned URLs", async () => {
    const signer = new SignatureV4({ credentials: LOCAL_CREDENTIALS, region: cloud.region, service: "sqs", sha256: NodeSha256 });
    const url = new URL(cloud.url);
    const body = "Action=CreateQueue&QueueName=tampered&Version=2012-11-05";
    const request = {
      method: "POST",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: "/",
      query: {},
      headers: { host: url.host, "content-type": "application/x-www-form-urlencoded" },
      body,
    };
    const send = async (signed: { headers: Record<string, string> }, sentBody: string) =>
      fetch(cloud.url + "/", { method: "POST", headers: signed.headers, body: sentBody }).then(async (response) => ({
        status: response.status,
        text: await response.text(),
      }));

    const good = await signer.sign(request);
    expect((await send(good, body)).status).toBe(200);
    const tampered = await send(good, body.replace("tampered", "tampereX"));
    expect(tampered.status).toBe(403);
    expect(tampered.text).toContain("<Code>SignatureDoesNotMatch</Code>");
    const stale = await send(await signer.sign(request, { signingDate: new Date(Date.now() - 20 * 60 * 1000) }), body);
    expect(stale.status).toBe(403);
    expect(stale.text).toContain("Signature expired");

    const s3Signer = new SignatureV4({ credentials: LOCAL_CREDENTIALS, region: cloud.region, service: "s3", sha256: NodeSha256, uriEscapePath: false });
    const get = {
      method: "GET",
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: "/signed-bucket/dir/a%20b%2Bc.txt",
      query: {},
      headers: { host: url.host },
    };
    const presigned = await s3Signer.presign(get, { expiresIn: 60 });
    const query = new URLSearchParams(presigned.query as Record<string, string>);
    const fetched = await fetch(`${cloud.url}${get.path}?${query.toString()}`);
    expect(fetched.status).toBe(200);
    expect(await fetched.text()).toBe("hello");
    query.set("X-Amz-Signature", "0".repeat(64));
    expect((await fetch(`${cloud.url}${get.path}?${query.toString()}`)).status).toBe(403);
  });
});
