import { CreateFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { zipSync, strToU8 } from "fflate";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sdkConfig, tempDir, useTestCloud } from "../helpers/local-cloud.js";

// Nothing a client sends can reach outside the data directory, and the data directory is the
// user's alone.

describe("the local cloud's files", () => {
  it("creates its data directory private to the user", async () => {
    const dataDir = join(tempDir(), "fresh", "data");
    await useTestCloud({ dataDir });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  });

  it("refuses function code whose zip entries point outside the package (zip-slip)", async () => {
    const parent = tempDir();
    const cloud = await useTestCloud({ dataDir: join(parent, "data") });
    const lambda = new LambdaClient(sdkConfig(cloud));
    try {
      for (const name of ["../../escaped.js", "/abs/escaped.js", "a/../../escaped.js"]) {
        const zip = zipSync({ "index.js": strToU8("exports.handler = async () => 1;"), [name]: strToU8("bad") });
        await expect(
          lambda.send(
            new CreateFunctionCommand({
              FunctionName: `slip${name.length}`,
              Runtime: "nodejs22.x",
              Role: "arn:aws:iam::000000000000:role/r",
              Handler: "index.handler",
              Code: { ZipFile: zip },
            }),
          ),
        ).rejects.toMatchObject({ name: "InvalidParameterValueException" });
      }
      expect(readdirSync(parent)).toEqual(["data"]);
      expect(existsSync("/abs/escaped.js")).toBe(false);
    } finally {
      lambda.destroy();
    }
  });

  it("stores S3 keys with '..' as keys, never as paths, and refuses traversal in queue names", async () => {
    const parent = tempDir();
    const cloud = await useTestCloud({ dataDir: join(parent, "data") });
    const s3 = new S3Client({ ...sdkConfig(cloud), forcePathStyle: true });
    const sqs = new SQSClient(sdkConfig(cloud));
    try {
      await s3.send(new CreateBucketCommand({ Bucket: "keys-bucket" }));
      await s3.send(new PutObjectCommand({ Bucket: "keys-bucket", Key: "../../../outside.txt", Body: "key, not path" }));
      const object = await s3.send(new GetObjectCommand({ Bucket: "keys-bucket", Key: "../../../outside.txt" }));
      expect(await object.Body!.transformToString()).toBe("key, not path");
      expect(readdirSync(parent)).toEqual(["data"]);
      await expect(sqs.send(new CreateQueueCommand({ QueueName: "../etc" }))).rejects.toMatchObject({ name: "InvalidParameterValue" });
    } finally {
      s3.destroy();
      sqs.destroy();
    }
  });
});
