import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createLineLogger } from "../../src/local/server/logger.js";
import { LOCAL_CREDENTIALS } from "../../src/shared/target.js";
import { useTestCloud } from "../helpers/local-cloud.js";

describe("no secrets in the local cloud's log", () => {
  it("masks fields named like credentials and keeps the rest", () => {
    const lines: string[] = [];
    const log = createLineLogger((line) => lines.push(line), "debug");
    log.log("info", "request", {
      authorization: "AWS4-HMAC-SHA256 Signature=abc123",
      secretAccessKey: "s3cr3t",
      password: "pw",
      sessionToken: "tok",
      QueueUrl: "http://q",
    });
    expect(lines.join("")).not.toMatch(/abc123|s3cr3t|"pw"|"tok"/);
    expect(lines.join("")).toContain('"QueueUrl":"http://q"');
    expect(lines.join("")).toContain('"authorization":"***"');
  });

  it("writes neither the secret key nor signatures while serving signed and mis-signed requests", async () => {
    const lines: string[] = [];
    const cloud = await useTestCloud({ verifySignatures: true, log: createLineLogger((line) => lines.push(line), "debug") });
    const good = new SQSClient({ endpoint: cloud.url, region: cloud.region, credentials: LOCAL_CREDENTIALS });
    const bad = new SQSClient({
      endpoint: cloud.url,
      region: cloud.region,
      credentials: { accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: "a-wrong-secret-value" },
    });
    try {
      await good.send(new ListQueuesCommand({}));
      await expect(bad.send(new ListQueuesCommand({}))).rejects.toMatchObject({ name: "SignatureDoesNotMatch" });
    } finally {
      good.destroy();
      bad.destroy();
    }
    const text = lines.join("");
    expect(text).toContain("signature did not verify");
    expect(text).not.toContain(LOCAL_CREDENTIALS.secretAccessKey);
    expect(text).not.toContain("a-wrong-secret-value");
    expect(text).not.toMatch(/Signature=[0-9a-f]{64}/);
  });
});
