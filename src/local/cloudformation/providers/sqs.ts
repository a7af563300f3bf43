/**
 * AWS::SQS::Queue and AWS::SQS::QueuePolicy over the SQS service's typed API.
 * Ref of a queue is its URL; Fn::GetAtt gives Arn, QueueName and QueueUrl.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sqs-queue.html
 */
import type { ProviderContext, ProvisionedResource, ResourceProvider, Properties } from "./types.js";
import { isNotFound, jsonText, optionalString, sameValue, tagList } from "./values.js";

/** https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html */
const MAX_QUEUE_NAME_LENGTH = 80;
const FIFO_SUFFIX = ".fifo";

/**
 * Queue properties that are queue attributes, and the value SQS gives an attribute the template
 * no longer sets (CloudFormation resets a removed property to the service default).
 */
const QUEUE_ATTRIBUTES: Record<string, string | undefined> = {
  DelaySeconds: "0",
  MaximumMessageSize: "1048576",
  MessageRetentionPeriod: "345600",
  ReceiveMessageWaitTimeSeconds: "0",
  VisibilityTimeout: "30",
  RedrivePolicy: "",
  RedriveAllowPolicy: "",
  KmsMasterKeyId: "",
  KmsDataKeyReusePeriodSeconds: "300",
  SqsManagedSseEnabled: "true",
  ContentBasedDeduplication: "false",
  DeduplicationScope: "queue",
  FifoThroughputLimit: "perQueue",
  FifoQueue: undefined,
};

function attributesFrom(properties: Properties, isFifo: boolean): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const name of Object.keys(QUEUE_ATTRIBUTES)) {
    const value = properties[name];
    if (value === undefined) continue;
    if (name === "FifoQueue" && !isFifo) continue;
    attributes[name] = name === "RedrivePolicy" || name === "RedriveAllowPolicy" ? jsonText(value)! : optionalString(value)!;
  }
  return attributes;
}

function queueNameOf(properties: Properties, context: ProviderContext): string {
  const isFifo = String(properties.FifoQueue) === "true";
  const given = optionalString(properties.QueueName);
  if (given !== undefined) return given;
  return isFifo ? context.generateName({ maxLength: MAX_QUEUE_NAME_LENGTH, suffix: FIFO_SUFFIX }) : context.generateName({ maxLength: MAX_QUEUE_NAME_LENGTH });
}

function queueResource(url: string, name: string, context: ProviderContext): ProvisionedResource {
  return { physicalId: url, attributes: { Arn: `arn:aws:sqs:${context.region}:${context.accountId}:${name}`, QueueName: name, QueueUrl: url } };
}

export const sqsQueueProvider: ResourceProvider = {
  attributes: ["Arn", "QueueName", "QueueUrl"],
  async create(properties, context) {
    const isFifo = String(properties.FifoQueue) === "true";
    const name = queueNameOf(properties, context);
    const tags = tagList(properties.Tags);
    const result = await context.deps.sqs.createQueue({ QueueName: name, Attributes: attributesFrom(properties, isFifo), ...(tags ? { tags } : {}) });
    return queueResource(result.QueueUrl!, name, context);
  },
  async update(resource, previous, next, context) {
    const isFifo = String(next.FifoQueue) === "true";
    const changed: Record<string, string> = {};
    const nextAttributes = attributesFrom(next, isFifo);
    for (const [name, reset] of Object.entries(QUEUE_ATTRIBUTES)) {
      if (name === "FifoQueue" || sameValue(previous[name], next[name])) continue;
      const value = nextAttributes[name] ?? reset;
      if (value === undefined) continue;
      if (!isFifo && (name === "ContentBasedDeduplication" || name === "DeduplicationScope" || name === "FifoThroughputLimit")) continue;
      changed[name] = value;
    }
    const url = resource.physicalId;
    if (Object.keys(changed).length > 0) await context.deps.sqs.setQueueAttributes({ QueueUrl: url, Attributes: changed });
    if (!sameValue(previous.Tags, next.Tags)) {
      const before = tagList(previous.Tags) ?? {};
      const after = tagList(next.Tags) ?? {};
      const removed = Object.keys(before).filter((key) => !(key in after));
      if (removed.length > 0) await context.deps.sqs.untagQueue({ QueueUrl: url, TagKeys: removed });
      if (Object.keys(after).length > 0) await context.deps.sqs.tagQueue({ QueueUrl: url, Tags: after });
    }
    return resource;
  },
  async delete(resource, _properties, context) {
    try {
      await context.deps.sqs.deleteQueue({ QueueUrl: resource.physicalId });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  },
};

function queueUrls(properties: Properties): string[] {
  return Array.isArray(properties.Queues) ? properties.Queues.map((queue) => String(queue)) : [];
}

export const sqsQueuePolicyProvider: ResourceProvider = {
  attributes: ["Id"],
  async create(properties, context) {
    const id = context.generateName({ maxLength: 255 });
    const policy = jsonText(properties.PolicyDocument)!;
    for (const url of queueUrls(properties)) await context.deps.sqs.setQueueAttributes({ QueueUrl: url, Attributes: { Policy: policy } });
    return { physicalId: id, attributes: { Id: id } };
  },
  async update(resource, previous, next, context) {
    const policy = jsonText(next.PolicyDocument)!;
    const kept = new Set(queueUrls(next));
    for (const url of queueUrls(previous)) {
      if (!kept.has(url))
        await context.deps.sqs.setQueueAttributes({ QueueUrl: url, Attributes: { Policy: "" } }).catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
    }
    for (const url of kept) await context.deps.sqs.setQueueAttributes({ QueueUrl: url, Attributes: { Policy: policy } });
    return resource;
  },
  async delete(_resource, properties, context) {
    for (const url of queueUrls(properties)) {
      try {
        await context.deps.sqs.setQueueAttributes({ QueueUrl: url, Attributes: { Policy: "" } });
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
  },
};
