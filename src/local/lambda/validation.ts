/** Checks of CreateFunction / UpdateFunctionConfiguration / event source mapping input, with Lambda's messages. */
import type * as lambda from "@aws-sdk/client-lambda";
import { lambdaErrors } from "./errors.js";
import * as limits from "./limits.js";

const FUNCTION_NAME = /^[a-zA-Z0-9-_]+$/;

export function checkFunctionName(name: string | undefined): string {
  if (!name)
    throw lambdaErrors.invalidParameter("1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null");
  if (name.length > limits.MAX_FUNCTION_NAME_LENGTH || !FUNCTION_NAME.test(name)) {
    throw lambdaErrors.invalidParameter(
      `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length less than or equal to ${limits.MAX_FUNCTION_NAME_LENGTH}`,
    );
  }
  return name;
}

/** Only Node.js runs here; anything else gets an error that says so instead of a crash at invoke time. */
export function checkRuntime(runtime: string | undefined): string {
  if (!runtime) throw lambdaErrors.invalidParameter("Runtime is required for .zip deployment packages.");
  if (!/^nodejs\d+\.x$/.test(runtime)) {
    throw lambdaErrors.invalidParameter(
      `The runtime parameter of ${runtime} is not supported by the wsq local cloud, which runs Node.js functions (nodejs20.x, nodejs22.x, nodejs24.x) only.`,
    );
  }
  return runtime;
}

export function checkHandler(handler: string | undefined): string {
  if (!handler) throw lambdaErrors.invalidParameter("Handler is required for .zip deployment packages.");
  if (handler.length > 128 || /\s/.test(handler))
    throw lambdaErrors.invalidParameter(
      `1 validation error detected: Value '${handler}' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+`,
    );
  return handler;
}

export function checkTimeout(timeout: number | undefined): number {
  const value = timeout ?? limits.DEFAULT_TIMEOUT_SECONDS;
  if (!Number.isInteger(value) || value < 1 || value > limits.MAX_TIMEOUT_SECONDS) {
    throw lambdaErrors.invalidParameter(
      `1 validation error detected: Value '${value}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to ${limits.MAX_TIMEOUT_SECONDS}`,
    );
  }
  return value;
}

export function checkMemorySize(memory: number | undefined): number {
  const value = memory ?? limits.DEFAULT_MEMORY_MB;
  if (!Number.isInteger(value) || value < limits.MIN_MEMORY_MB || value > limits.MAX_MEMORY_MB) {
    throw lambdaErrors.invalidParameter(
      `'MemorySize' value failed to satisfy constraint: Member must have value between ${limits.MIN_MEMORY_MB} and ${limits.MAX_MEMORY_MB}`,
    );
  }
  return value;
}

export function checkArchitectures(architectures: string[] | undefined): string[] {
  const value = architectures ?? ["x86_64"];
  if (value.length !== 1 || (value[0] !== "x86_64" && value[0] !== "arm64")) {
    throw lambdaErrors.invalidParameter(
      "1 validation error detected: Value at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1, and each member must be one of [x86_64, arm64]",
    );
  }
  return value;
}

export function checkEnvironment(environment: lambda.Environment | undefined): Record<string, string> {
  const variables = environment?.Variables ?? {};
  const reserved = Object.keys(variables).filter((key) => limits.RESERVED_ENVIRONMENT_KEYS.has(key));
  if (reserved.length > 0) {
    throw lambdaErrors.invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(", ")}`,
    );
  }
  for (const key of Object.keys(variables)) {
    if (!/^[a-zA-Z]([a-zA-Z0-9_])*$/.test(key))
      throw lambdaErrors.invalidParameter(
        `Lambda was unable to configure your environment variables because the environment variables you have provided failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+ (key ${key})`,
      );
  }
  if (Buffer.byteLength(JSON.stringify(variables)) > limits.MAX_ENVIRONMENT_BYTES) {
    throw lambdaErrors.invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit.`,
    );
  }
  return { ...variables };
}

export function checkRole(role: string | undefined): string {
  if (!role) throw lambdaErrors.invalidParameter("1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null");
  if (!/^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/.test(role)) {
    throw lambdaErrors.invalidParameter(
      `1 validation error detected: Value '${role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+`,
    );
  }
  return role;
}

export interface MappingSettings {
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  functionResponseTypes: string[];
  maximumConcurrency: number | undefined;
}

/** BatchSize, batching window, response types and scaling for an SQS source, with AWS's rules for FIFO queues. */
export function checkMappingSettings(
  input: { BatchSize?: number; MaximumBatchingWindowInSeconds?: number; FunctionResponseTypes?: string[]; ScalingConfig?: { MaximumConcurrency?: number } },
  fifo: boolean,
  previous?: MappingSettings,
): MappingSettings {
  const batchSize = input.BatchSize ?? previous?.batchSize ?? limits.DEFAULT_SQS_BATCH_SIZE;
  const max = fifo ? limits.MAX_SQS_BATCH_SIZE_FIFO : limits.MAX_SQS_BATCH_SIZE_STANDARD;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > max) {
    throw lambdaErrors.invalidParameter(
      fifo
        ? `BatchSize must be between 1 and ${max} for FIFO queues (given ${batchSize}).`
        : `BatchSize must be between 1 and ${max} for SQS queues (given ${batchSize}).`,
    );
  }
  const window = input.MaximumBatchingWindowInSeconds ?? previous?.maximumBatchingWindowInSeconds ?? 0;
  if (!Number.isInteger(window) || window < 0 || window > limits.MAX_BATCHING_WINDOW_SECONDS) {
    throw lambdaErrors.invalidParameter(`MaximumBatchingWindowInSeconds must be between 0 and ${limits.MAX_BATCHING_WINDOW_SECONDS}.`);
  }
  if (fifo && input.MaximumBatchingWindowInSeconds !== undefined && input.MaximumBatchingWindowInSeconds !== 0) {
    throw lambdaErrors.invalidParameter("Batching window is not supported for FIFO queues.");
  }
  if (!fifo && batchSize > limits.SQS_RECEIVE_MAX && window < 1) {
    throw lambdaErrors.invalidParameter("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10");
  }
  const types = input.FunctionResponseTypes ?? previous?.functionResponseTypes ?? [];
  for (const type of types) {
    if (type !== "ReportBatchItemFailures")
      throw lambdaErrors.invalidParameter(
        `1 validation error detected: Value '[${type}]' at 'functionResponseTypes' failed to satisfy constraint: Member must satisfy enum value set: [ReportBatchItemFailures]`,
      );
  }
  let maximumConcurrency = previous?.maximumConcurrency;
  if (input.ScalingConfig !== undefined) {
    maximumConcurrency = input.ScalingConfig.MaximumConcurrency ?? undefined;
    if (
      maximumConcurrency !== undefined &&
      (!Number.isInteger(maximumConcurrency) || maximumConcurrency < limits.MIN_MAXIMUM_CONCURRENCY || maximumConcurrency > limits.MAX_MAXIMUM_CONCURRENCY)
    ) {
      throw lambdaErrors.invalidParameter(
        `1 validation error detected: Value '${maximumConcurrency}' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value between ${limits.MIN_MAXIMUM_CONCURRENCY} and ${limits.MAX_MAXIMUM_CONCURRENCY}`,
      );
    }
  }
  return { batchSize, maximumBatchingWindowInSeconds: window, functionResponseTypes: [...new Set(types)], maximumConcurrency };
}
