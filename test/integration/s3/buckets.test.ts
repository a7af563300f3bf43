import { describe, expect, it } from "vitest";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketTaggingCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  GetBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
} from "@aws-sdk/client-s3";
import { useTestCloud } from "../../helpers/local-cloud.js";
import { s3Client, s3Error } from "./s3-helpers.js";

describe("S3 buckets", () => {
  it("creates, heads, lists and deletes buckets; refuses to delete a non-empty one", async () => {
    const cloud = await useTestCloud();
    const s3 = s3Client(cloud);
    const created = await s3.send(new CreateBucketCommand({ Bucket: "assets-one" }));
    expect(created.Location).toBe("/assets-one");
    await s3.send(new CreateBucketCommand({ Bucket: "assets-two" }));
    // us-east-1 keeps its legacy answer: re-creating a bucket you own succeeds.
    await s3.send(new CreateBucketCommand({ Bucket: "assets-one" }));

    const head = await s3.send(new HeadBucketCommand({ Bucket: "assets-one" }));
    expect(head.BucketRegion).toBe("us-east-1");
    const listed = await s3.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((b) => b.Name)).toEqual(["assets-one", "assets-two"]);
    expect(listed.Buckets?.[0]?.CreationDate).toBeInstanceOf(Date);
    expect(listed.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: "assets-one" }))).LocationConstraint).toBeUndefined();

    await s3.send(new PutObjectCommand({ Bucket: "assets-one", Key: "k", Body: "x" }));
    expect(await s3Error(s3.send(new DeleteBucketCommand({ Bucket: "assets-one" })))).toMatchObject({ name: "BucketNotEmpty", status: 409 });
    await s3.send(new DeleteBucketCommand({ Bucket: "assets-two" }));
    expect(await s3Error(s3.send(new HeadBucketCommand({ Bucket: "assets-two" })))).toMatchObject({ name: "NotFound", status: 404 });
    expect(await s3Error(s3.send(new DeleteBucketCommand({ Bucket: "assets-two" })))).toMatchObject({ name: "NoSuchBucket", status: 404 });
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(["assets-one"]);
  });

  it("refuses invalid bucket names", async () => {
    const cloud = await useTestCloud();
    const s3 = s3Client(cloud);
    for (const name of ["ab", "Upper-Case", "under_score", "10.0.0.1", "ends-with-"]) {
      expect(await s3Error(s3.send(new CreateBucketCommand({ Bucket: name })))).toMatchObject({ name: "InvalidBucketName", status: 400 });
    }
  });

  it("applies the location-constraint rules of a regional endpoint", async () => {
    const cloud = await useTestCloud({ region: "eu-west-1" });
    const s3 = s3Client(cloud);
    // The SDK adds the client's region as LocationConstraint when none is given (outside us-east-1).
    await s3.send(new CreateBucketCommand({ Bucket: "sdk-adds-constraint" }));
    expect((await s3.send(new HeadBucketCommand({ Bucket: "sdk-adds-constraint" }))).BucketRegion).toBe("eu-west-1");
    // A client that sends no constraint to a regional endpoint is refused, as by S3.
    const raw = await fetch(`${cloud.url}/no-constraint`, {
      method: "PUT",
      headers: { authorization: "AWS4-HMAC-SHA256 Credential=AKID/20261125/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=00" },
    });
    expect(raw.status).toBe(400);
    expect(await raw.text()).toContain("<Code>IllegalLocationConstraintException</Code>");
    expect(
      await s3Error(
        s3.send(new CreateBucketCommand({ Bucket: "us-east-constraint", CreateBucketConfiguration: { LocationConstraint: "us-east-1" as "us-east-2" } })),
      ),
    ).toMatchObject({ name: "InvalidLocationConstraint" });
    expect(
      await s3Error(s3.send(new CreateBucketCommand({ Bucket: "wrong-constraint", CreateBucketConfiguration: { LocationConstraint: "us-west-2" } }))),
    ).toMatchObject({ name: "IllegalLocationConstraintException" });
    await s3.send(new CreateBucketCommand({ Bucket: "in-ireland", CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
    expect((await s3.send(new HeadBucketCommand({ Bucket: "in-ireland" }))).BucketRegion).toBe("eu-west-1");
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: "in-ireland" }))).LocationConstraint).toBe("eu-west-1");
    // Elsewhere than us-east-1, creating a bucket twice is an error.
    expect(
      await s3Error(s3.send(new CreateBucketCommand({ Bucket: "in-ireland", CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }))),
    ).toMatchObject({ name: "BucketAlreadyOwnedByYou", status: 409 });
  });

  it("records encryption, public access block, tags and policy as deploy's asset bucket sets them", async () => {
    const cloud = await useTestCloud();
    const s3 = s3Client(cloud);
    const Bucket = "deploy-assets";
    await s3.send(new CreateBucketCommand({ Bucket }));
    // Defaults of a new bucket on S3 since 2023: SSE-S3 and all public access blocked.
    const defaultEncryption = await s3.send(new GetBucketEncryptionCommand({ Bucket }));
    expect(defaultEncryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe("AES256");
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration?.BlockPublicPolicy).toBe(true);

    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/wsq" }, BucketKeyEnabled: true }],
        },
      }),
    );
    const encryption = await s3.send(new GetBucketEncryptionCommand({ Bucket }));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0]).toEqual({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms", KMSMasterKeyID: "alias/wsq" },
      BucketKeyEnabled: true,
    });
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: "a", Body: "b" }));
    expect(put.ServerSideEncryption).toBe("aws:kms");
    expect(
      await s3Error(
        s3.send(
          new PutBucketEncryptionCommand({
            Bucket,
            ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "ROT13" as "AES256" } }] },
          }),
        ),
      ),
    ).toMatchObject({ name: "InvalidArgument", status: 400 });

    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: true },
      }),
    );
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: false,
      RestrictPublicBuckets: true,
    });

    expect(await s3Error(s3.send(new GetBucketTaggingCommand({ Bucket })))).toMatchObject({ name: "NoSuchTagSet", status: 404 });
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket,
        Tagging: {
          TagSet: [
            { Key: "app", Value: "wsq" },
            { Key: "stack", Value: "wsq-dev" },
          ],
        },
      }),
    );
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket }))).TagSet).toEqual([
      { Key: "app", Value: "wsq" },
      { Key: "stack", Value: "wsq-dev" },
    ]);
    expect(
      await s3Error(
        s3.send(
          new PutBucketTaggingCommand({
            Bucket,
            Tagging: {
              TagSet: [
                { Key: "a", Value: "1" },
                { Key: "a", Value: "2" },
              ],
            },
          }),
        ),
      ),
    ).toMatchObject({ name: "InvalidTag", status: 400 });
    await s3.send(new DeleteBucketTaggingCommand({ Bucket }));
    expect(await s3Error(s3.send(new GetBucketTaggingCommand({ Bucket })))).toMatchObject({ name: "NoSuchTagSet" });

    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "s3:*", Resource: "*" }] });
    await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: policy }));
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy).toBe(policy);
    expect(await s3Error(s3.send(new PutBucketPolicyCommand({ Bucket, Policy: "not json" })))).toMatchObject({ name: "MalformedPolicy" });

    expect(await s3Error(s3.send(new GetBucketEncryptionCommand({ Bucket: "no-such-bucket" })))).toMatchObject({ name: "NoSuchBucket" });
  });
});
