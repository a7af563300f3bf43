import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { useTestCloud } from "../../helpers/local-cloud.js";
import { awsCliEnv, hasAwsCli } from "../../helpers/aws-cli.js";

const run = promisify(execFile);

describe.skipIf(!hasAwsCli)("the AWS CLI against the local SQS", () => {
  it("creates a FIFO queue, sends, receives and deletes with --endpoint-url", async () => {
    const cloud = await useTestCloud();
    const env = awsCliEnv(cloud);
    const aws = async (...args: string[]) => {
      const { stdout } = await run("aws", ["sqs", ...args, "--endpoint-url", cloud.url, "--output", "json"], { env });
      return stdout.trim() === "" ? {} : (JSON.parse(stdout) as Record<string, unknown>);
    };
    const { QueueUrl } = (await aws("create-queue", "--queue-name", "cli.fifo", "--attributes", "FifoQueue=true,ContentBasedDeduplication=true")) as {
      QueueUrl: string;
    };
    expect(QueueUrl).toBe(`${cloud.url}/000000000000/cli.fifo`);
    await aws("send-message", "--queue-url", QueueUrl, "--message-body", "first", "--message-group-id", "g");
    await aws("send-message", "--queue-url", QueueUrl, "--message-body", "second", "--message-group-id", "g");
    const got = (await aws("receive-message", "--queue-url", QueueUrl, "--max-number-of-messages", "10", "--attribute-names", "All")) as {
      Messages: { Body: string; ReceiptHandle: string; Attributes: Record<string, string> }[];
    };
    expect(got.Messages.map((m) => m.Body)).toEqual(["first", "second"]);
    expect(got.Messages[0]?.Attributes.MessageGroupId).toBe("g");
    await aws("delete-message", "--queue-url", QueueUrl, "--receipt-handle", got.Messages[0]!.ReceiptHandle);
    const attributes = (await aws("get-queue-attributes", "--queue-url", QueueUrl, "--attribute-names", "ApproximateNumberOfMessagesNotVisible")) as {
      Attributes: Record<string, string>;
    };
    expect(attributes.Attributes.ApproximateNumberOfMessagesNotVisible).toBe("1");
    // Errors reach the CLI with their code.
    await expect(aws("get-queue-url", "--queue-name", "missing")).rejects.toMatchObject({
      stderr: expect.stringMatching(/NonExistentQueue|QueueDoesNotExist/),
    });
  });
});
