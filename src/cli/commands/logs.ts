import type { Command } from "commander";
import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { CommandContext } from "../program.js";
import type { CliIo } from "../output/io.js";
import { WsqError } from "../../shared/errors.js";
import { clientConfig, type Target } from "../../shared/target.js";
import { DEFAULT_STACK_NAME, findStackOutputs } from "../../deploy/stack-outputs.js";
import { prepareTarget } from "../../deploy/prepare-target.js";

interface LogsFlags {
  target?: string;
  stackName: string;
  function?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  since: string;
  follow?: boolean;
  filter?: string;
  json?: boolean;
}

export interface LogLine {
  timestamp: number;
  stream: string;
  message: string;
  eventId: string;
}

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `10m`, `2h`, `1d` → milliseconds (what `aws logs tail --since` accepts, minus weeks). */
export function parseSince(text: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (!match) throw new WsqError("BAD_SINCE", `--since "${text}" is not a duration.`, { hint: "Use a number and a unit: 30s, 10m, 2h or 1d.", exitCode: 2 });
  return Number(match[1]) * DURATION_UNITS[match[2]!]!;
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

/** The execution environment's part of a stream name (`2026/11/24/[$LATEST]3f2a…` → `3f2a9c1b`). */
function shortStream(stream: string): string {
  const id = /\]([0-9a-f]+)$/.exec(stream)?.[1];
  return id ? id.slice(0, 8) : stream;
}

function render(io: CliIo, line: LogLine): void {
  const c = io.stdoutColor;
  const time = new Date(line.timestamp).toISOString().slice(11, 23);
  const message = line.message;
  let body = message;
  if (/^(START|END) RequestId:/.test(message)) body = c.dim(message);
  else if (message.startsWith("REPORT RequestId:")) body = c.cyan(message.replace(/\t+$/, "").replace(/\t/g, "  "));
  else if (/\tERROR\t|Task timed out|Runtime\.\w+Error|Status: (error|timeout)/.test(message)) body = c.red(message);
  else if (/\tWARN\t/.test(message)) body = c.yellow(message);
  io.out(`${c.dim(time)} ${c.dim(`[${shortStream(line.stream)}]`)} ${body}`);
}

export function registerLogsCommand(program: Command, context: CommandContext): void {
  program
    .command("logs")
    .description("show the pattern function's logs (START/END/REPORT and console output), on the local cloud or from CloudWatch Logs")
    .option("--target <target>", "local (default) or aws")
    .option("--stack-name <name>", "the stack whose function to show", DEFAULT_STACK_NAME)
    .option("--function <name>", "a function name instead of the stack's function")
    .option("--region <region>", "AWS Region")
    .option("--profile <profile>", "AWS profile from ~/.aws (aws target)")
    .option("--endpoint-url <url>", "send every AWS call to this endpoint")
    .option("--since <duration>", "how far back to start: 30s, 10m, 2h, 1d", "10m")
    .option("-f, --follow", "keep printing new log lines until Ctrl-C")
    .option("--filter <pattern>", 'CloudWatch Logs filter pattern (terms, "phrases", -exclusions)')
    .option("--json", "one JSON object per line: timestamp, stream, message")
    .addHelpText(
      "after",
      `
Examples:
  $ wsq logs                         the last 10 minutes of the deployed function's logs
  $ wsq logs -f                      follow, as new invocations log
  $ wsq logs --since 1h --filter ERROR
  $ wsq logs --target aws --stack-name prod -f`,
    )
    .action(async (flags: LogsFlags) => {
      const since = parseSince(flags.since);
      const target = await prepareTarget(flags, { start: false });
      const functionName = flags.function ?? (await findStackOutputs(target, flags.stackName)).FunctionName;
      const logGroupName = await functionLogGroup(target, functionName);
      const client = new CloudWatchLogsClient(clientConfig(target));
      const io = context.io;
      try {
        await tailLogGroup({
          client,
          logGroupName,
          startTime: Date.now() - since,
          ...(flags.filter ? { filterPattern: flags.filter } : {}),
          follow: flags.follow === true,
          pollMs: pollIntervalMs(target),
          stopped: context.interrupted,
          onEvent: (line) => {
            if (flags.json) io.out(JSON.stringify({ timestamp: new Date(line.timestamp).toISOString(), stream: line.stream, message: line.message }));
            else render(io, line);
          },
          onMissingGroup: () =>
            io.err(
              io.color.dim(
                `No logs yet for ${functionName} (log group ${logGroupName} does not exist until the function first runs).${flags.follow ? " Waiting…" : ""}`,
              ),
            ),
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
    });
}
