/** `wsq status`: the stack, its outputs, the queue depths and the function's settings. */
import { GetFunctionConfigurationCommand, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { WsqError, describeError } from "../shared/errors.js";
import type { Target } from "../shared/target.js";
import { createDeployClients } from "./clients.js";
import { describeStack } from "./stack-watch.js";
import { portDriftError, type StackOutputs } from "./stack-outputs.js";
import { translateAwsError } from "../shared/aws-errors.js";

export interface QueueDepth {
  /** ApproximateNumberOfMessages: waiting to be received. */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible: received by the function, not yet deleted. */
  inFlight: number;
  /** ApproximateNumberOfMessages of the dead-letter queue. */
  deadLetter: number;
}

export interface FunctionSettings {
  runtime: string | undefined;
  architectures: string[];
  memoryMB: number | undefined;
  timeoutSeconds: number | undefined;
  state: string | undefined;
  lastModified: string | undefined;
  codeSha256: string | undefined;
  eventSource:
    { batchSize: number | undefined; maximumConcurrency: number | undefined; state: string | undefined; reportBatchItemFailures: boolean } | undefined;
}

/** A part that could not be read is reported with why, rather than failing the whole status. */
export type Part<T> = { ok: true; value: T } | { ok: false; error: string };

export interface StatusResult {
  stackName: string;
  target: Target["kind"];
  region: string | undefined;
  status: string;
  statusReason: string | undefined;
  lastUpdated: string | undefined;
  parameters: Record<string, string>;
  outputs: Partial<StackOutputs>;
  /** Set when the stack cannot work as deployed (local: its URLs name another port); says the fix. */
  problem: { code: string; message: string; hint: string | undefined } | undefined;
  queue: Part<QueueDepth> | undefined;
  function: Part<FunctionSettings> | undefined;
}

function portProblem(target: Target, stackName: string, outputs: Partial<StackOutputs>): StatusResult["problem"] {
  const error = outputs.WebSocketUrl === undefined ? undefined : portDriftError(target, stackName, { WebSocketUrl: outputs.WebSocketUrl });
  return error === undefined ? undefined : { code: error.code, message: error.message, hint: error.hint };
}

async function part<T>(work: () => Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: (translateAwsError(error) ?? (error as Error)).message ?? describeError(error) };
  }
}

export async function patternStatus(options: { target: Target; stackName: string }): Promise<StatusResult> {
  const { target, stackName } = options;
  const clients = createDeployClients(target);
  try {
    const stack = await describeStack(clients.cloudFormation, stackName);
    if (!stack) {
      throw new WsqError("STACK_NOT_FOUND", `No stack named "${stackName}" is deployed on the ${target.kind} target.`, {
        hint: `Deploy it with \`wsq deploy --stack-name ${stackName}${target.kind === "aws" ? " --target aws" : ""}\`.`,
      });
    }
    const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? "", o.OutputValue ?? ""])) as Partial<StackOutputs>;
    const parameters = Object.fromEntries(
      (stack.Parameters ?? []).filter((p) => p.ParameterKey).map((p) => [p.ParameterKey as string, p.ParameterValue ?? ""]),
    );
    const depth = async (url: string, names: ("ApproximateNumberOfMessages" | "ApproximateNumberOfMessagesNotVisible")[]) => {
      const reply = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }));
      return reply.Attributes ?? {};
    };
    const { QueueUrl: queueUrl, DeadLetterQueueUrl: dlqUrl, FunctionName: functionName } = outputs;
    const [queue, fn] = await Promise.all([
      queueUrl && dlqUrl
        ? part(async (): Promise<QueueDepth> => {
            const [main, dead] = await Promise.all([
              depth(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]),
              depth(dlqUrl, ["ApproximateNumberOfMessages"]),
            ]);
            return {
              visible: Number(main.ApproximateNumberOfMessages ?? 0),
              inFlight: Number(main.ApproximateNumberOfMessagesNotVisible ?? 0),
              deadLetter: Number(dead.ApproximateNumberOfMessages ?? 0),
            };
          })
        : undefined,
      functionName
        ? part(async (): Promise<FunctionSettings> => {
            const [config, mappings] = await Promise.all([
              clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })),
              clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName })).catch(() => undefined),
            ]);
            const mapping = mappings?.EventSourceMappings?.[0];
            return {
              runtime: config.Runtime,
              architectures: config.Architectures ?? [],
              memoryMB: config.MemorySize,
              timeoutSeconds: config.Timeout,
              state: config.State,
              lastModified: config.LastModified,
              codeSha256: config.CodeSha256,
              eventSource: mapping
                ? {
                    batchSize: mapping.BatchSize,
                    maximumConcurrency: mapping.ScalingConfig?.MaximumConcurrency,
                    state: mapping.State,
                    reportBatchItemFailures: (mapping.FunctionResponseTypes ?? []).includes("ReportBatchItemFailures"),
                  }
                : undefined,
            };
          })
        : undefined,
    ]);
    return {
      stackName,
      target: target.kind,
      region: target.region,
      status: stack.StackStatus ?? "UNKNOWN",
      statusReason: stack.StackStatusReason,
      lastUpdated: (stack.LastUpdatedTime ?? stack.CreationTime)?.toISOString(),
      parameters,
      outputs,
      problem: portProblem(target, stackName, outputs),
      queue,
      function: fn,
    };
  } finally {
    clients.destroy();
  }
}
