/** Test handlers as real deployment packages: small zips built in the test with fflate. */
import { strToU8, zipSync } from "fflate";
import { LambdaClient, CreateFunctionCommand, CreateEventSourceMappingCommand, type CreateFunctionCommandInput } from "@aws-sdk/client-lambda";
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type QueueAttributeName } from "@aws-sdk/client-sqs";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";
import { sdkConfig } from "../../helpers/local-cloud.js";

export const ROLE = "arn:aws:iam::000000000000:role/test-function-role";

export function zipOf(files: Record<string, string>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, strToU8(text)])));
}

export function clients(cloud: LocalCloud) {
  const config = { ...sdkConfig(cloud), maxAttempts: 1 };
  return { lambda: new LambdaClient(config), sqs: new SQSClient(config), logs: new CloudWatchLogsClient(config) };
}

export async function createFunction(
  lambda: LambdaClient,
  name: string,
  files: Record<string, string>,
  options: Partial<CreateFunctionCommandInput> = {},
): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      Role: ROLE,
      Code: { ZipFile: zipOf(files) },
      Timeout: 5,
      ...options,
    }),
  );
}

/** A FIFO queue with a FIFO dead-letter queue after `maxReceiveCount` receives. */
export async function fifoQueueWithDlq(sqs: SQSClient, name: string, options: { maxReceiveCount: number; visibilityTimeout: number }) {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq.fifo`, Attributes: { FifoQueue: "true" } }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${name}.fifo`,
      Attributes: {
        FifoQueue: "true",
        VisibilityTimeout: String(options.visibilityTimeout),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount }),
      },
    }),
  );
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
  return { queueUrl: queue.QueueUrl!, queueArn: arn, dlqUrl: dlq.QueueUrl!, dlqArn };
}

export async function mapQueue(
  lambda: LambdaClient,
  functionName: string,
  queueArn: string,
  options: { batchSize?: number; maximumConcurrency?: number; reportBatchItemFailures?: boolean } = {},
) {
  return lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: functionName,
      EventSourceArn: queueArn,
      BatchSize: options.batchSize ?? 10,
      ...(options.reportBatchItemFailures ? { FunctionResponseTypes: ["ReportBatchItemFailures"] } : {}),
      ...(options.maximumConcurrency !== undefined ? { ScalingConfig: { MaximumConcurrency: options.maximumConcurrency } } : {}),
    }),
  );
}

export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const names: QueueAttributeName[] = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"];
  const attributes = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names }))).Attributes ?? {};
  return { visible: Number(attributes.ApproximateNumberOfMessages), inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible) };
}

/** Long-polls a queue until it yields `count` messages (the DLQ in redrive tests); deletes nothing. */
export async function receiveAll(sqs: SQSClient, queueUrl: string, count: number, deadlineMs = 25_000) {
  const seen = [];
  const deadline = Date.now() + deadlineMs;
  while (seen.length < count && Date.now() < deadline) {
    const result = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ["All"],
        VisibilityTimeout: 60,
      }),
    );
    seen.push(...(result.Messages ?? []));
  }
  return seen;
}

/** Every log line of a function so far, in time order. */
export async function functionLog(logs: CloudWatchLogsClient, functionName: string): Promise<string[]> {
  const lines: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${functionName}`, ...(nextToken ? { nextToken } : {}) }));
    lines.push(...(page.events ?? []).map((event) => event.message ?? ""));
    nextToken = page.nextToken;
  } while (nextToken);
  return lines;
}

export { eventually } from "../../helpers/eventually.js";
