import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { WsqError } from "../../shared/errors.js";
import { clientConfig, type Target } from "../../shared/target.js";
import { findStackOutputs } from "../../deploy/stack-outputs.js";

export interface LogLine {
  timestamp: number;
  stream: string;
  message: string;
  eventId: string;
}

/**
 * Follow polling: CloudWatch Logs allows FilterLogEvents 5 times a second per account and region
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html); one
 * poll a second on AWS stays far below it. The local cloud answers in a millisecond.
 */
function pollIntervalMs(target: Target): number {
  return target.kind === "local" ? 250 : 1_000;
}

function isMissingGroup(error: unknown): boolean {
  return (error as { name?: string }).name === "ResourceNotFoundException";
}

/**
 * Reads a log group from `startTime` on, page by page, and then (when following) keeps asking for
 * what arrived since the last event seen. Events sharing the last timestamp are remembered by id,
 * because the next query starts at that same millisecond.
 */
export async function tailLogGroup(options: {
  client: CloudWatchLogsClient;
  logGroupName: string;
  startTime: number;
  filterPattern?: string;
  follow: boolean;
  pollMs: number;
  stopped: Promise<void>;
  onEvent(line: LogLine): void;
  /** Called once when the group does not exist (yet): no invocation has logged anything. */
  onMissingGroup?(): void;
}): Promise<void> {
  let from = options.startTime;
  let seenAtFrom = new Set<string>();
  let stop = false;
  void options.stopped.then(() => (stop = true));
  let reportedMissing = false;
  for (;;) {
    let nextToken: string | undefined;
    // A nextToken belongs to the query that issued it: every page of one poll asks the same query.
    const queryStart = from;
    try {
      do {
        const page = await options.client.send(
          new FilterLogEventsCommand({
            logGroupName: options.logGroupName,
            startTime: queryStart,
            ...(options.filterPattern ? { filterPattern: options.filterPattern } : {}),
            ...(nextToken ? { nextToken } : {}),
          }),
        );
        for (const event of page.events ?? []) {
          const line = toLine(event);
          if (line.timestamp === from && seenAtFrom.has(line.eventId)) continue;
          if (line.timestamp > from) {
            from = line.timestamp;
            seenAtFrom = new Set();
          }
          seenAtFrom.add(line.eventId);
          options.onEvent(line);
        }
        nextToken = page.nextToken;
      } while (nextToken && !stop);
    } catch (error) {
      if (!isMissingGroup(error)) throw error;
      if (!reportedMissing) options.onMissingGroup?.();
      reportedMissing = true;
    }
    if (!options.follow || stop) return;
    await Promise.race([options.stopped, new Promise((resolve) => setTimeout(resolve, options.pollMs))]);
    if (stop) return;
  }
}

/**
 * The function's log group: `/aws/lambda/NAME` unless its LoggingConfig names another. A caller
 * allowed to read logs but not the function's configuration still gets the default.
 */
async function functionLogGroup(target: Target, functionName: string): Promise<string> {
  const fallback = `/aws/lambda/${functionName}`;
  const client = new LambdaClient(clientConfig(target));
  try {
    const configuration = await client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    return configuration.LoggingConfig?.LogGroup ?? fallback;
  } catch (error) {
    if ((error as { name?: string }).name === "ResourceNotFoundException") {
      throw new WsqError(
        "FUNCTION_NOT_FOUND",
        `There is no function named ${functionName} on the ${target.kind} target${target.region ? ` (${target.region})` : ""}.`,
        {
          hint: "Check --function (or the stack's FunctionName output with `wsq status`).",
        },
      );
    }
    return fallback;
  } finally {
    client.destroy();
  }
}

function toLine(event: FilteredLogEvent): LogLine {
  return {
    timestamp: event.timestamp ?? 0,
    stream: event.logStreamName ?? "",
    message: (event.message ?? "").replace(/\n$/, ""),
    eventId: event.eventId ?? `${event.timestamp}/${event.message}`,
  };
}

/**
 * `wsq logs`: the logs of a stack's function (or of the function named), from `startTime` on,
 * and then, when following, what it logs until `stopped` resolves. A filter pattern that
 * CloudWatch Logs refuses is the user's to fix, and says so.
 */
export async function tailFunctionLogs(options: {
  target: Target;
  stackName: string;
  /** A function name instead of the stack's function. */
  functionName?: string;
  startTime: number;
  filterPattern?: string;
  follow: boolean;
  stopped: Promise<void>;
  onEvent(line: LogLine): void;
  onMissingGroup?(where: { functionName: string; logGroupName: string }): void;
  /** Where the saved stack outputs are looked up (WSQ_HOME); process.env by default. */
  env?: NodeJS.ProcessEnv;
}): Promise<void> {
  const { target } = options;
  const functionName = options.functionName ?? (await findStackOutputs(target, options.stackName, options.env)).FunctionName;
  const logGroupName = await functionLogGroup(target, functionName);
  const client = new CloudWatchLogsClient(clientConfig(target));
  try {
    await tailLogGroup({
      client,
      logGroupName,
      startTime: options.startTime,
      ...(options.filterPattern ? { filterPattern: options.filterPattern } : {}),
      follow: options.follow,
      pollMs: pollIntervalMs(target),
      stopped: options.stopped,
      onEvent: (line) => options.onEvent(line),
      onMissingGroup: () => options.onMissingGroup?.({ functionName, logGroupName }),
    });
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === "InvalidParameterException") {
      throw new WsqError("BAD_FILTER", `CloudWatch Logs refused the request: ${(error as Error).message}`, {
        hint: 'Check --filter: plain terms, "quoted phrases" and -exclusions work on both targets.',
        exitCode: 2,
        cause: error,
      });
    }
    throw error;
  } finally {
    client.destroy();
  }
}
