/**
 * SQS quotas and defaults, as documented (checked 2026-11-24). AWS changes these now and then,
 * so each one names its source.
 *
 * Quotas: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 *         https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html
 * Queue attributes: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
 */

const SECOND_MS = 1000;

/** Queue names: 1-80 characters, including the `.fifo` suffix (API_CreateQueue). */
export const MAX_QUEUE_NAME_LENGTH = 80;
export const FIFO_SUFFIX = ".fifo";

/** MaximumMessageSize: 1,024 B .. 1 MiB, default 1 MiB since the 2025 raise (API_SetQueueAttributes). */
export const MIN_MESSAGE_SIZE_LIMIT = 1024;
export const MAX_MESSAGE_SIZE_LIMIT = 1_048_576;
export const DEFAULT_MAX_MESSAGE_SIZE = 1_048_576;
/** All entries of one SendMessageBatch together (API_SendMessageBatch: "up to 1 MiB"). */
export const MAX_BATCH_PAYLOAD_BYTES = 1_048_576;

/** DelaySeconds: 0-900 s, default 0 (API_SetQueueAttributes, API_SendMessage). */
export const MAX_DELAY_SECONDS = 900;
/** MessageRetentionPeriod: 60 s .. 14 days, default 4 days. */
export const MIN_RETENTION_SECONDS = 60;
export const MAX_RETENTION_SECONDS = 1_209_600;
export const DEFAULT_RETENTION_SECONDS = 345_600;
/** VisibilityTimeout: 0 .. 12 h, default 30 s; ChangeMessageVisibility cannot pass 12 h after the receive. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
export const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
/** ReceiveMessageWaitTimeSeconds / WaitTimeSeconds: 0-20 s (long polling). */
export const MAX_WAIT_TIME_SECONDS = 20;
/** MaxNumberOfMessages: 1-10 (API_ReceiveMessage). */
export const MAX_RECEIVE_MESSAGES = 10;
/** KmsDataKeyReusePeriodSeconds: 60 s .. 24 h, default 300 s. */
export const MIN_KMS_REUSE_SECONDS = 60;
export const MAX_KMS_REUSE_SECONDS = 86_400;
export const DEFAULT_KMS_REUSE_SECONDS = 300;
/** RedrivePolicy maxReceiveCount: 1-1000 (SQS dead-letter queues guide). */
export const MIN_MAX_RECEIVE_COUNT = 1;
export const MAX_MAX_RECEIVE_COUNT = 1000;

/** Every *Batch action takes 1-10 entries; entry ids are 1-80 of [A-Za-z0-9_-]. */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_ENTRY_ID_LENGTH = 80;
/** Up to 10 message attributes per message (quotas-messages). */
export const MAX_MESSAGE_ATTRIBUTES = 10;
export const MAX_ATTRIBUTE_NAME_LENGTH = 256;
export const MAX_ATTRIBUTE_TYPE_LENGTH = 256;
/** MessageGroupId and MessageDeduplicationId: up to 128 characters (API_SendMessage). */
export const MAX_GROUP_ID_LENGTH = 128;
export const MAX_DEDUP_ID_LENGTH = 128;
/** ReceiveRequestAttemptId: up to 128 characters, usable for 5 minutes (API_ReceiveMessage). */
export const MAX_ATTEMPT_ID_LENGTH = 128;
export const RECEIVE_ATTEMPT_WINDOW_MS = 5 * 60 * SECOND_MS;

/** FIFO deduplication interval: 5 minutes (FIFO exactly-once processing). */
export const DEDUP_WINDOW_MS = 5 * 60 * SECOND_MS;
/** "You must wait 60 seconds after deleting a queue before you can create another with the same name." */
export const QUEUE_NAME_REUSE_DELAY_MS = 60 * SECOND_MS;
/** PurgeQueue: only one purge per 60 s; another fails with PurgeQueueInProgress. */
export const PURGE_COOLDOWN_MS = 60 * SECOND_MS;

/** Tags: up to 50 per queue, key ≤128, value ≤256 (sqs-queue-tags). */
export const MAX_TAGS = 50;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;

/** ListQueues returns up to 1,000 URLs; MaxResults 1-1000. */
export const MAX_LIST_QUEUES_RESULTS = 1000;

export const SECONDS = SECOND_MS;

/**
 * FIFO throughput quotas ("Amazon SQS message quotas", Message throughput; "Troubleshoot FIFO
 * throttling issues"): 300 transactions per second per API action on a FIFO queue; a batch call
 * is one transaction. In high-throughput mode (DeduplicationScope=messageGroup and
 * FifoThroughputLimit=perMessageGroupId) the quota applies per message group ID, and the queue
 * as a whole may reach its Region's figure (HIGH_THROUGHPUT_FIFO_TPS). Standard queues have none.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/troubleshooting-fifo-throttling-issues.html
 */
export const FIFO_TPS_PER_ACTION = 300;
/** High-throughput mode: the same 300 per API action, per message group ID (one group lives on one partition). */
export const FIFO_TPS_PER_MESSAGE_GROUP = 300;
/**
 * Local choice, not an AWS figure: AWS states the quotas per second and documents no burst, so a
 * bucket holds one second's worth (300 requests at once pass, the 301st in the same instant does not).
 */
export const FIFO_QUOTA_BURST_SECONDS = 1;

/**
 * High-throughput FIFO, whole queue, transactions per second per API action (non-batched calls),
 * by Region. The 70,000 and 19,000 figures are on the current quotas page; the others are the
 * October 2023 figures (AWS What's New of 2023-10, as reported at the time) for the Regions where
 * the page we could read is cut short: the stricter reading if AWS has raised them since. Any
 * Region not listed takes the lowest figure, 2,400.
 */
export const HIGH_THROUGHPUT_FIFO_TPS: Readonly<Record<string, number>> = {
  "us-east-1": 70_000,
  "us-west-2": 70_000,
  "eu-west-1": 70_000,
  "us-east-2": 19_000,
  "eu-central-1": 19_000,
  "ap-south-1": 9_000,
  "ap-southeast-1": 9_000,
  "ap-southeast-2": 9_000,
  "ap-northeast-1": 9_000,
  "eu-west-2": 4_500,
  "sa-east-1": 4_500,
};
export const HIGH_THROUGHPUT_FIFO_TPS_OTHER_REGIONS = 2_400;
