/**
 * Limits of the CloudWatch Logs subset, with the documents they come from (checked 2026-11-24).
 */

/** https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
export const RETENTION_DAYS = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);
/** https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html */
export const MAX_LOG_GROUP_NAME_LENGTH = 512;
export const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]+$/;
/** https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogStream.html */
export const MAX_LOG_STREAM_NAME_LENGTH = 512;
/** FilterLogEvents / GetLogEvents: `limit` is 1-10,000, and the default is as many as fit in 1 MB (10,000 events). */
export const MAX_EVENTS_PER_PAGE = 10_000;
/** DescribeLogGroups / DescribeLogStreams: `limit` 1-50, default 50. */
export const MAX_DESCRIBE_PAGE = 50;
/** A single event is at most 256 KB (1 MB since 2025 for PutLogEvents); longer console lines are truncated as Lambda does. */
export const MAX_EVENT_BYTES = 256 * 1024;

/**
 * Local only: a log group keeps at most this many events, oldest dropped first, so that a
 * busy function cannot fill the disk (AWS keeps everything until the retention policy says).
 */
export const MAX_EVENTS_PER_GROUP = 200_000;
/** Local only: how long appended events wait in memory before one transaction writes them. */
export const FLUSH_INTERVAL_MS = 100;
/** Local only: how often expired events (retention policy) are purged. */
export const RETENTION_SWEEP_MS = 60_000;
export const DAY_MS = 86_400_000;
