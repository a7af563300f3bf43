import { describe, expect, it } from "vitest";
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  TagQueueCommand,
  UntagQueueCommand,
} from "@aws-sdk/client-sqs";
import { sdkConfig, useTestCloud } from "../../helpers/local-cloud.js";

async function client() {
  const cloud = await useTestCloud();
  return { cloud, sqs: new SQSClient(sdkConfig(cloud)) };
}

describe("SQS queue actions through @aws-sdk/client-sqs", () => {
  it("creates idempotently, refuses different attributes, gets, lists with prefix and pages, deletes", async () => {
    const { cloud, sqs } = await client();
    const created = await sqs.send(new CreateQueueCommand({ QueueName: "alpha", Attributes: { VisibilityTimeout: "45" } }));
    expect(created.QueueUrl).toBe(`${cloud.url}/000000000000/alpha`);
    expect((await sqs.send(new CreateQueueCommand({ QueueName: "alpha", Attributes: { VisibilityTimeout: "45" } }))).QueueUrl).toBe(created.QueueUrl);
    await expect(sqs.send(new CreateQueueCommand({ QueueName: "alpha", Attributes: { VisibilityTimeout: "46" } }))).rejects.toMatchObject({
      name: "QueueNameExists",
      Code: "QueueAlreadyExists",
      $metadata: { httpStatusCode: 400 },
    });
    for (const name of ["alpha2", "beta", "alpha3"]) await sqs.send(new CreateQueueCommand({ QueueName: name }));
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: "beta" }))).QueueUrl).toBe(`${cloud.url}/000000000000/beta`);

    const prefixed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "alpha" }));
    expect(prefixed.QueueUrls?.map((u) => u.split("/").pop())).toEqual(["alpha", "alpha2", "alpha3"]);
    const page1 = await sqs.send(new ListQueuesCommand({ MaxResults: 2 }));
    expect(page1.QueueUrls).toHaveLength(2);
    expect(page1.NextToken).toBeDefined();
    const page2 = await sqs.send(new ListQueuesCommand({ MaxResults: 2, NextToken: page1.NextToken }));
    expect(page2.QueueUrls?.map((u) => u.split("/").pop())).toEqual(["alpha3", "beta"]);
    expect(page2.NextToken).toBeUndefined();

    await sqs.send(new DeleteQueueCommand({ QueueUrl: created.QueueUrl }));
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: "alpha" }))).rejects.toMatchObject({
      name: "QueueDoesNotExist",
      Code: "AWS.SimpleQueueService.NonExistentQueue",
    });
    await expect(sqs.send(new CreateQueueCommand({ QueueName: "alpha" }))).rejects.toMatchObject({
      name: "QueueDeletedRecently",
      $metadata: { httpStatusCode: 400 },
    });
  });

  it("reports every attribute with All, each attribute alone, and FIFO attributes only on FIFO queues", async () => {
    const { cloud, sqs } = await client();
    const { QueueUrl: standard } = await sqs.send(new CreateQueueCommand({ QueueName: "std" }));
    const all = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: standard, AttributeNames: ["All"] }))).Attributes!;
    expect(all).toMatchObject({
      QueueArn: `arn:aws:sqs:${cloud.region}:000000000000:std`,
      VisibilityTimeout: "30",
      MaximumMessageSize: "1048576",
      MessageRetentionPeriod: "345600",
      DelaySeconds: "0",
      ReceiveMessageWaitTimeSeconds: "0",
      ApproximateNumberOfMessages: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
      ApproximateNumberOfMessagesDelayed: "0",
      SqsManagedSseEnabled: "true",
    });
    expect(Number(all.CreatedTimestamp)).toBeGreaterThan(1_600_000_000);
    expect(all.FifoQueue).toBeUndefined();
    expect(all.ContentBasedDeduplication).toBeUndefined();
    const one = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: standard, AttributeNames: ["QueueArn"] }));
    expect(Object.keys(one.Attributes ?? {})).toEqual(["QueueArn"]);

    const { QueueUrl: fifo } = await sqs.send(new CreateQueueCommand({ QueueName: "f.fifo", Attributes: { FifoQueue: "true" } }));
    const fifoAll = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: fifo, AttributeNames: ["All"] }))).Attributes!;
    expect(fifoAll).toMatchObject({ FifoQueue: "true", ContentBasedDeduplication: "false", DeduplicationScope: "queue", FifoThroughputLimit: "perQueue" });

    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: fifo, Attributes: { ContentBasedDeduplication: "true", VisibilityTimeout: "5" } }));
    const changed = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: fifo, AttributeNames: ["ContentBasedDeduplication", "VisibilityTimeout"] }));
    expect(changed.Attributes).toEqual({ ContentBasedDeduplication: "true", VisibilityTimeout: "5" });
  });

  it("tags, untags and lists tags, including tags given at creation", async () => {
    const { sqs } = await client();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "tagged", tags: { team: "core" } }));
    await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { env: "dev", tier: "1" } }));
    await sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ["tier"] }));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags).toEqual({ team: "core", env: "dev" });
  });

  it("purges messages and refuses a second purge within 60 seconds", async () => {
    const { sqs } = await client();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "purged" }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "gone" }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    await expect(sqs.send(new PurgeQueueCommand({ QueueUrl }))).rejects.toMatchObject({
      name: "PurgeQueueInProgress",
      Code: "AWS.SimpleQueueService.PurgeQueueInProgress",
      $metadata: { httpStatusCode: 403 },
    });
  });

  it("lists dead-letter source queues", async () => {
    const { sqs } = await client();
    const { QueueUrl: dlq } = await sqs.send(new CreateQueueCommand({ QueueName: "dlq" }));
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
    const { QueueUrl: source } = await sqs.send(
      new CreateQueueCommand({ QueueName: "src", Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn, maxReceiveCount: "3" }) } }),
    );
    expect((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq }))).queueUrls).toEqual([source]);
    const policy = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: source, AttributeNames: ["RedrivePolicy"] }))).Attributes!.RedrivePolicy!;
    expect(JSON.parse(policy)).toEqual({ deadLetterTargetArn: arn, maxReceiveCount: 3 });
  });
});

describe("SQS errors as real SQS returns them", () => {
  it("names each error, its legacy code and HTTP status", async () => {
    const { cloud, sqs } = await client();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "errs", Attributes: { MaximumMessageSize: "1024" } }));
    const { QueueUrl: fifo } = await sqs.send(new CreateQueueCommand({ QueueName: "errs.fifo", Attributes: { FifoQueue: "true" } }));
    const cases: [() => Promise<unknown>, Record<string, unknown>][] = [
      [
        () => sqs.send(new SendMessageCommand({ QueueUrl: `${cloud.url}/000000000000/nope`, MessageBody: "x" })),
        { name: "QueueDoesNotExist", $metadata: { httpStatusCode: 400 } },
      ],
      [() => sqs.send(new CreateQueueCommand({ QueueName: "bad name!" })), { name: "InvalidParameterValue" }],
      [() => sqs.send(new CreateQueueCommand({ QueueName: "nofifo", Attributes: { FifoQueue: "true" } })), { name: "InvalidParameterValue" }],
      [() => sqs.send(new CreateQueueCommand({ QueueName: "x", Attributes: { VisibilityTimeout: "43201" } })), { name: "InvalidAttributeValue" }],
      [() => sqs.send(new CreateQueueCommand({ QueueName: "x", Attributes: { Bogus: "1" } as Record<string, string> })), { name: "InvalidAttributeName" }],
      [() => sqs.send(new CreateQueueCommand({ QueueName: "x", Attributes: { ContentBasedDeduplication: "true" } })), { name: "InvalidAttributeName" }],
      [
        () =>
          sqs.send(
            new CreateQueueCommand({
              QueueName: "x",
              Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:missing", maxReceiveCount: 1 }) },
            }),
          ),
        { name: "InvalidParameterValue" },
      ],
      [() => sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["Nope" as "All"] })), { name: "InvalidAttributeName" }],
      [
        () => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x".repeat(1025) })),
        { name: "InvalidParameterValue", message: expect.stringContaining("shorter than 1024") },
      ],
      [() => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "bad \u0000 char" })), { name: "InvalidMessageContents" }],
      [() => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "" })), { name: "MissingParameter" }],
      [() => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x", DelaySeconds: 901 })), { name: "InvalidParameterValue" }],
      [
        () =>
          sqs.send(
            new SendMessageCommand({
              QueueUrl,
              MessageBody: "x",
              MessageAttributes: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: "String", StringValue: "v" }])),
            }),
          ),
        { name: "InvalidParameterValue" },
      ],
      [
        () => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x", MessageAttributes: { "AWS.x": { DataType: "String", StringValue: "v" } } })),
        { name: "InvalidParameterValue" },
      ],
      [
        () => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x", MessageAttributes: { n: { DataType: "Number", StringValue: "abc" } } })),
        { name: "InvalidParameterValue" },
      ],
      [() => sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x", MessageDeduplicationId: "d" })), { name: "InvalidParameterValue" }],
      [() => sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: "x", MessageDeduplicationId: "d" })), { name: "MissingParameter" }],
      [() => sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: "x", MessageGroupId: "g" })), { name: "InvalidParameterValue" }],
      [
        () => sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: "x", MessageGroupId: "g", MessageDeduplicationId: "d", DelaySeconds: 1 })),
        { name: "InvalidParameterValue" },
      ],
      [() => sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 })), { name: "InvalidParameterValue" }],
      [() => sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 21 })), { name: "InvalidParameterValue" }],
      [() => sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 43201 })), { name: "InvalidParameterValue" }],
      [
        () => sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: "garbage" })),
        { name: "ReceiptHandleIsInvalid", $metadata: { httpStatusCode: 404 } },
      ],
      [() => sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: "garbage", VisibilityTimeout: 1 })), { name: "ReceiptHandleIsInvalid" }],
      [() => sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [] })), { name: "EmptyBatchRequest", Code: "AWS.SimpleQueueService.EmptyBatchRequest" }],
      [
        () => sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: "x" })) })),
        { name: "TooManyEntriesInBatchRequest" },
      ],
      [
        () =>
          sqs.send(
            new SendMessageBatchCommand({
              QueueUrl,
              Entries: [
                { Id: "a", MessageBody: "x" },
                { Id: "a", MessageBody: "y" },
              ],
            }),
          ),
        { name: "BatchEntryIdsNotDistinct" },
      ],
      [() => sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "bad id!", MessageBody: "x" }] })), { name: "InvalidBatchEntryId" }],
      [() => sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [] })), { name: "EmptyBatchRequest" }],
      [() => sqs.send(new ListQueuesCommand({ MaxResults: 0 })), { name: "InvalidParameterValue" }],
    ];
    // Sent one at a time, so each rejection is awaited as it happens.
    for (const [send, expected] of cases) await expect(send()).rejects.toMatchObject(expected);

    const { QueueUrl: big } = await sqs.send(new CreateQueueCommand({ QueueName: "big" }));
    const body = "x".repeat(200_000);
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: big, Entries: Array.from({ length: 6 }, (_, i) => ({ Id: `e${i}`, MessageBody: body })) })),
    ).rejects.toMatchObject({ name: "BatchRequestTooLong" });
  });

  it("reports per-entry failures in batches while the valid entries succeed", async () => {
    const { sqs } = await client();
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "partial" }));
    const { QueueUrl: other } = await sqs.send(new CreateQueueCommand({ QueueName: "other" }));
    await sqs.send(new SendMessageCommand({ QueueUrl: other, MessageBody: "elsewhere" }));
    const foreign = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: other }))).Messages![0]!.ReceiptHandle!;
    // A handle of another queue is refused for this one.
    await expect(sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: foreign }))).rejects.toMatchObject({
      name: "ReceiptHandleIsInvalid",
      message: expect.stringContaining("not valid for this queue"),
    });
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: "ok", MessageBody: "fine" },
          { Id: "bad", MessageBody: "\u0001" },
        ],
      }),
    );
    expect(result.Successful?.map((s) => s.Id)).toEqual(["ok"]);
    expect(result.Failed).toEqual([expect.objectContaining({ Id: "bad", Code: "InvalidMessageContents", SenderFault: true })]);
  });
});
