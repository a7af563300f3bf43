/**
 * Why a message failed, from the function's CloudWatch Logs: the handler logs one JSON line per
 * failed record (`{"level":"error","message":"processing failed; ...","messageId":...,"error":...}`,
 * src/handler/process-batch.ts), and a dead letter keeps its message id. The same FilterLogEvents
 * calls on AWS and on the local cloud.
 */
import { FilterLogEventsCommand, type CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { GetFunctionConfigurationCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import { describeError } from "../../shared/errors.js";

export interface FailureLog {
  /** When it was logged (epoch ms); the latest failure of the message when it failed several times. */
  timestamp: number;
  /** The handler's message, e.g. "processing failed; the record will be retried". */
  message: string;
  /** The error as the handler described it (`Name: message`), if it logged one. */
  error: string | null;
}

export interface FailureSearch {
  logGroupName: string | null;
  found: Map<string, FailureLog>;
  /** Why the logs could not be (fully) read, if so. */
  problem: string | null;
}

/** The function's log group: `/aws/lambda/NAME` unless its LoggingConfig names another. */
export async function functionLogGroupName(lambda: LambdaClient, functionName: string): Promise<string> {
  try {
    const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    return configuration.LoggingConfig?.LogGroup ?? `/aws/lambda/${functionName}`;
  } catch {
    // Allowed to read logs but not the function's configuration: the default group.
    return `/aws/lambda/${functionName}`;
  }
}

/** The handler's JSON fields from a Lambda log line (`time\trequestId\tLEVEL\t{json}`, or the bare JSON). */
export function parseHandlerLine(line: string): Record<string, unknown> | undefined {
  const start = line.indexOf("{");
  if (start < 0) return undefined;
  try {
    const parsed = JSON.parse(line.slice(start).trim()) as unknown;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** FilterLogEvents pages read at most; a DLQ listing should not scan weeks of logs. */
const MAX_PAGES = 50;

export async function findFailureLogs(options: {
  logs: CloudWatchLogsClient;
  logGroupName: string;
  messageIds: ReadonlySet<string>;
  startTime: number;
  signal?: AbortSignal;
}): Promise<FailureSearch> {
  const found = new Map<string, FailureLog>();
  if (options.messageIds.size === 0) return { logGroupName: options.logGroupName, found, problem: null };
  let nextToken: string | undefined;
  let pages = 0;
  try {
    do {
      const page = await options.logs.send(
        new FilterLogEventsCommand({
          logGroupName: options.logGroupName,
          startTime: options.startTime,
          // Every line the handler writes about a record names its messageId; START/END/REPORT do not.
          filterPattern: "messageId",
          ...(nextToken ? { nextToken } : {}),
        }),
        options.signal ? { abortSignal: options.signal } : {},
      );
      for (const event of page.events ?? []) {
        const fields = parseHandlerLine(event.message ?? "");
        const id = fields?.messageId;
        if (typeof id !== "string" || !options.messageIds.has(id) || fields?.level !== "error") continue;
        const timestamp = event.timestamp ?? 0;
        if ((found.get(id)?.timestamp ?? -1) > timestamp) continue;
        found.set(id, {
          timestamp,
          message: typeof fields.message === "string" ? fields.message : "",
          error: typeof fields.error === "string" ? fields.error : null,
        });
      }
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken && pages < MAX_PAGES);
  } catch (error) {
    const name = (error as { name?: string }).name;
    const problem =
      name === "ResourceNotFoundException" ? `log group ${options.logGroupName} does not exist (the function never logged)` : describeError(error);
    return { logGroupName: options.logGroupName, found, problem };
  }
  return { logGroupName: options.logGroupName, found, problem: nextToken ? `only the first ${MAX_PAGES} pages of logs were searched` : null };
}
