/**
 * Lambda limits and defaults, with the documents they come from (checked 2026-11-24).
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
import { availableParallelism } from "node:os";

/** https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html */
export const DEFAULT_TIMEOUT_SECONDS = 3;
export const MAX_TIMEOUT_SECONDS = 900;
export const DEFAULT_MEMORY_MB = 128;
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10_240;
export const MAX_FUNCTION_NAME_LENGTH = 64;
/** Deployment package: 50 MB zipped when uploaded directly, 250 MB unzipped. */
export const MAX_ZIPPED_BYTES = 50 * 1024 * 1024;
export const MAX_UNZIPPED_BYTES = 262_144_000;
/** Synchronous invocation: 6 MB request and response payloads. */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html: 50 tags per function. */
export const MAX_TAGS = 50;
/** Invoke with LogType Tail returns the last 4 KB of the execution log. */
export const MAX_LOG_TAIL_BYTES = 4096;
/** Environment variables: 4 KB in total. */
export const MAX_ENVIRONMENT_BYTES = 4096;
/** https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime */
export const RESERVED_ENVIRONMENT_KEYS = new Set([
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
]);

/** https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html */
export const DEFAULT_SQS_BATCH_SIZE = 10;
export const MAX_SQS_BATCH_SIZE_STANDARD = 10_000;
export const MAX_SQS_BATCH_SIZE_FIFO = 10;
export const MAX_BATCHING_WINDOW_SECONDS = 300;
/** https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency */
export const MIN_MAXIMUM_CONCURRENCY = 2;
export const MAX_MAXIMUM_CONCURRENCY = 1000;
/** An SQS receive returns at most 10 messages; larger batches are gathered over several receives. */
export const SQS_RECEIVE_MAX = 10;
/** A long poll is at most 20 seconds. */
export const SQS_MAX_WAIT_SECONDS = 20;

/**
 * Local only: execution environments (worker processes) one function may run at once when
 * neither ReservedConcurrentExecutions nor a mapping's MaximumConcurrency says fewer. AWS scales
 * to the account's 1,000; a laptop cannot fork that many Node processes usefully.
 */
export const LOCAL_MAX_ENVIRONMENTS_PER_FUNCTION = 10;
/**
 * Local only: execution environments starting (process spawned, handler loading) at once, across
 * every function: half the host's cores, at least two. Each start forks a Node process, which
 * blocks the local cloud's event loop until the child has exec'd, and then needs a core to boot;
 * ten at once on two cores froze the gateway, the queue API and the depth probe for seconds.
 * Not one at a time: a batch waits for its environment with its visibility timeout running, and
 * starts in single file on a loaded machine let a 2-second timeout run out.
 * Lambda starts as many as it needs at once, on other machines.
 */
export const LOCAL_MAX_CONCURRENT_STARTS = Math.max(2, Math.floor(availableParallelism() / 2));
/**
 * Local only: environments of one function that start as soon as a call needs one, as many as the
 * host has cores (at least two). Beyond them, a call starts another at once only while at least
 * LOCAL_IDLE_SHARE_TO_GROW of the host's CPU is idle (one start per reading of it, host-cpu.ts);
 * otherwise it first waits for a busy one to come free, at most MAX_START_PATIENCE_MS
 * (function-pool.ts). The wait runs on a received batch's visibility timeout, hence the bound.
 */
export const LOCAL_EAGER_ENVIRONMENTS = Math.max(2, availableParallelism());
/**
 * A whole core's worth of the host's CPU (half of it on two cores): a new environment needs a core
 * of its own to add anything. A quarter until 2026-12-05, which on two cores is half a core: the
 * pauses of a CPU-bound drain itself (workers waiting on the one-threaded local cloud between
 * posts) showed that much idle, so each warm burst started another environment, a core busy with
 * its boot and then a JIT-cold worker. Four environments did the work of two with a third more
 * worker CPU (A/B: 0.57-0.92 against 0.45-0.65 ms a message, bursts 978-1,442 against 908-1,288 ms);
 * a handler that waits (`--work-ms 20`) leaves the cores idle and still grows to ten.
 */
export const LOCAL_IDLE_SHARE_TO_GROW = 1 / LOCAL_EAGER_ENVIRONMENTS;
export const MAX_START_PATIENCE_MS = 1_000;
/** Local only: an execution environment idle this long is shut down (AWS keeps them for minutes, unspecified). */
export const IDLE_ENVIRONMENT_MS = 5 * 60_000;
export const IDLE_SWEEP_MS = 30_000;
/** Local only: how long a mapping waits before polling again after an error (missing queue or function). */
export const MAPPING_ERROR_BACKOFF_MS = 2_000;
/**
 * Local only: when SQS throttles the poller (a FIFO queue's 300 transactions per second), the
 * first wait before it retries; it doubles on each further throttle of the same call, up to
 * SQS_THROTTLE_MAX_ATTEMPTS calls in all, as the AWS SDKs back off from a throttling error.
 */
export const SQS_THROTTLE_BACKOFF_MS = 50;
export const SQS_THROTTLE_MAX_ATTEMPTS = 8;
