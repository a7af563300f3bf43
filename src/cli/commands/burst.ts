import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { CommandContext } from "../program.js";
import { ExitCode, WsqError, describeError } from "../../shared/errors.js";
import { clientConfig, requireLocalEndpoint, resolveTarget, type Target } from "../../shared/target.js";
import { DEFAULT_STACK_NAME, findStackOutputs } from "../../deploy/stack-outputs.js";
import { validateWebSocketUrl } from "../../client/common/websocket-target.js";
import { DEFAULT_CONNECT_TIMEOUT_MS } from "../../client/common/open-websocket.js";
import { parseBurstFlags, type BurstFlags } from "../../client/burst/options.js";
import { planBurst } from "../../client/burst/plan.js";
import { runBurstRaw } from "../../client/burst/run-burst.js";
import { computeReport } from "../../client/burst/stats.js";
import { fromEventLog, toEventLog } from "../../client/burst/event-log.js";
import { inspectDeadLetterQueue, sqsQueueProbe } from "../../client/burst/queue-probe.js";
import type { BurstConfig, BurstReport } from "../../client/burst/types.js";
import type { Rate } from "../../client/burst/plan.js";
import { autoRate, checkQuota, describeQuotaCheck, PACING_SHARE, type QuotaCheck } from "../../client/burst/quota.js";
import { readQueueMode, readStageLimits, regionOfQueueUrl } from "../../client/burst/limits-lookup.js";
import { renderSummary } from "../../client/burst/render/summary.js";
import { createLiveView } from "../../client/burst/render/live.js";
import { renderHtmlReport } from "../../client/burst/render/html.js";

interface BurstCommandFlags extends BurstFlags {
  strictSendOrder?: boolean;
  stackName?: string;
  url?: string;
  queueUrl?: string;
  dlqUrl?: string;
  target?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  json?: boolean;
  report?: string;
  events?: string;
  replay?: string;
}

function writeOutput(file: string, what: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (error) {
    throw new WsqError("WRITE_FAILED", `Could not write the ${what} to ${file}: ${describeError(error)}`, {
      hint: "Check the path and its directory's permissions.",
    });
  }
}

/** Print the report the way the flags ask, write --report, and set the exit code from the checks. */
function finish(report: BurstReport, flags: BurstCommandFlags, context: CommandContext): void {
  const io = context.io;
  if (flags.report !== undefined) writeOutput(flags.report, "report", renderHtmlReport(report));
  if (flags.json) {
    io.out(JSON.stringify(report, null, 2));
  } else {
    io.out(renderSummary(report, io.stdoutColor, io.stdout.columns ?? 80));
    if (flags.report !== undefined) io.err(io.color.dim(`report written to ${flags.report}`));
    if (flags.events !== undefined) io.err(io.color.dim(`events written to ${flags.events}`));
  }
  context.setExitCode(
    report.outcome === "interrupted" ? ExitCode.interrupted : report.verification.ok && report.outcome !== "timeout" ? ExitCode.ok : ExitCode.checkFailed,
  );
}

/**
 * On the local target without a known endpoint (--url and --queue-url, no local cloud state),
 * the queue URL's own origin is the local cloud's endpoint; saying so keeps the SDK from warning
 * that the queue URL differs from its default AWS endpoint.
 */
function sqsConfig(target: Target, queueUrl: string | null): ReturnType<typeof clientConfig> {
  const config = clientConfig(target);
  if (target.kind === "local" && config.endpoint === undefined && queueUrl !== null) {
    try {
      return { ...config, endpoint: new URL(queueUrl).origin };
    } catch {
      throw new WsqError("BAD_QUEUE_URL", `"${queueUrl}" is not a queue URL.`, {
        hint: "Pass the QueueUrl output of the stack (`wsq status`).",
        exitCode: ExitCode.usage,
      });
    }
  }
  return config;
}

export function registerBurstCommand(program: Command, context: CommandContext): void {
  program
    .command("burst")
    .description("fire a burst of messages and watch the queue absorb it: latency, queue depth, loss, throttling, duplicates and order checked")
    .option("-n, --count <n>", "messages to send", "1000")
    .option("-c, --connections <n>", "WebSocket connections to send them over", "10")
    .option(
      "-r, --rate <n|auto|max>",
      "messages per second (open model); auto: paced under the queue's FIFO quota (see below); max: as fast as the sockets accept",
      "auto",
    )
    .option("-s, --size <bytes>", "pad each message frame to this many bytes (at most 32768; 0: no padding, about 130 bytes)", "0")
    .option("-g, --groups <n>", "message groups to spread the messages over (default: one per connection)")
    .option("--stack-name <name>", `the stack whose WebSocketUrl, QueueUrl and DeadLetterQueueUrl to use (default "${DEFAULT_STACK_NAME}")`)
    .option("--url <url>", "send to this ws:// or wss:// URL instead of looking up a stack")
    .option("--queue-url <url>", "with --url: the queue whose depth to watch")
    .option("--dlq-url <url>", "with --url: the dead-letter queue to look for lost messages in")
    .option("--target <target>", "local (the embedded local cloud, default) or aws")
    .option("--region <region>", "AWS Region of the stack")
    .option("--profile <profile>", "AWS profile (aws target)")
    .option("--endpoint-url <url>", "AWS endpoint for CloudFormation and SQS calls")
    .option("--json", "print only the whole result as one JSON document on stdout")
    .option("--report <file.html>", "also write a self-contained HTML report (timelines and latency histogram)")
    .option("--events <file.ndjson>", "also write every send, result and queue sample as NDJSON (replayable)")
    .option("--replay <file.ndjson>", "send nothing: re-render the summary, --json or --report from an --events file")
    .option("-t, --timeout <seconds>", "stop waiting for results after this long (from the first send)", "60")
    .option("--poll-interval <ms>", "how often to read the queue's depth", "250")
    .option("--strict-send-order", "also fail (exit 3) when messages reach the queue in another order than sent (information otherwise)")
    .option("--connect-timeout <seconds>", "give up opening a connection after this long", String(DEFAULT_CONNECT_TIMEOUT_MS / 1000))
    .addHelpText(
      "after",
      `
Every message carries a unique id, its group and a per-group sequence number; the handler echoes
them with the queue's SQS sequence number, so each result is tied to its message. Latency is
measured from when a message was due (its slot in the --rate schedule, or the burst's start with
--rate max), not from when it was written, so a stalled server cannot hide its stall (no
coordinated omission). Connections open no faster than API Gateway's 500 new connections per second.

Defaults a FIFO queue can take: API Gateway makes one SQS SendMessage per frame, and a FIFO queue
takes 300 of them per second in all, or 300 per message group on a high-throughput queue (the
template's). So the burst reads the queue's DeduplicationScope and FifoThroughputLimit first, and
--rate auto (the default) paces the messages evenly at 80% of what the queue takes: 10 groups on
a high-throughput queue give 2,400/s (1,000 messages in under half a second), a normal FIFO queue
240/s whatever the groups; 80%, so that frames bunched on their way stay under the quota, since
AWS documents no burst allowance. Messages go round-robin over --groups (default: one per
connection, 10), each group over one connection. A --rate, --groups or --count that would exceed
the quota (or the stage's throttle) is named before sending, with the numbers and the fix.

Order is checked where the pattern guarantees it: within a group, results must arrive in the
order of their SQS sequence numbers, each exactly once. API Gateway runs each frame's integration
as its own request and promises no order before the queue, so messages that reach the queue in
another order than sent are counted apart, as information (--strict-send-order makes them fail).
Messages API Gateway answers with an error frame were throttled (by the queue's quota, or by the
stage) or refused, and are counted apart from lost ones.

Exit codes: 0 every message answered once, in order, on its own connection;
            3 a message was lost, throttled, duplicated or answered out of order (or reordered
              before the queue, with --strict-send-order); 1 the burst could not run;
            130 interrupted (Ctrl-C stops sending and still prints the summary).

Examples:
  $ wsq burst                                   1,000 messages over 10 connections and groups, paced
  $ wsq burst --count 10000 --connections 100 --rate 2000 --report burst.html
  $ wsq burst --rate max --groups 50            all at once, thin enough per group for a high-throughput queue
  $ wsq burst --json > burst.json
  $ wsq burst --url wss://abc.execute-api.eu-west-1.amazonaws.com/production --queue-url https://sqs…`,
    )
    .action(async (flags: BurstCommandFlags) => {
      const io = context.io;
      if (flags.replay !== undefined) {
        let text: string;
        try {
          text = readFileSync(flags.replay, "utf8");
        } catch (error) {
          throw new WsqError("READ_FAILED", `Could not read ${flags.replay}: ${describeError(error)}`, {
            hint: "Pass a file written by `wsq burst --events FILE`.",
            exitCode: ExitCode.usage,
          });
        }
        finish(computeReport(fromEventLog(text, flags.replay)), flags, context);
        return;
      }
      const settings = parseBurstFlags(flags);
      if (flags.url === undefined && (flags.queueUrl !== undefined || flags.dlqUrl !== undefined)) {
        throw new WsqError("QUEUE_URL_WITHOUT_URL", "--queue-url and --dlq-url go with --url; with a stack they come from its outputs.", {
          exitCode: ExitCode.usage,
        });
      }
      if (flags.url !== undefined && flags.stackName !== undefined) {
        throw new WsqError("URL_AND_STACK", "Pass either --url or --stack-name, not both.", { exitCode: ExitCode.usage });
      }

      const target = resolveTarget(flags, io.env);
      let url: string;
      let queueUrl: string | null;
      let dlqUrl: string | null;
      if (flags.url !== undefined) {
        url = validateWebSocketUrl(flags.url);
        queueUrl = flags.queueUrl ?? null;
        dlqUrl = flags.dlqUrl ?? null;
      } else {
        if (target.kind === "local") requireLocalEndpoint(target);
        const outputs = await findStackOutputs(target, flags.stackName ?? DEFAULT_STACK_NAME, io.env);
        url = validateWebSocketUrl(outputs.WebSocketUrl);
        queueUrl = outputs.QueueUrl;
        dlqUrl = outputs.DeadLetterQueueUrl;
      }

      const sqs = queueUrl !== null || dlqUrl !== null ? new SQSClient(sqsConfig(target, queueUrl ?? dlqUrl)) : undefined;
      try {
        // Which quota applies decides the pacing (--rate auto) and the warning below.
        const queue = sqs && queueUrl !== null ? await readQueueMode(sqs, queueUrl) : { mode: "unknown" as const, note: "no queue URL to read its mode from" };
        const region = (queueUrl !== null ? regionOfQueueUrl(queueUrl) : undefined) ?? target.region;
        const stage = flags.url === undefined ? await readStageLimits(target, flags.stackName ?? DEFAULT_STACK_NAME) : null;
        const rate = settings.rate.kind === "auto" ? autoRate(queue.mode, settings.groups, settings.count, region, stage) : settings.rate;
        const plan = planBurst({ ...settings, rate, runId: settings.runId });
        const quota = checkQuota({ messages: plan.messages, groups: settings.groups, rate, mode: queue.mode, region, stage, note: queue.note });
        const config: BurstConfig = {
          runId: settings.runId,
          url,
          queueUrl,
          deadLetterQueueUrl: dlqUrl,
          count: settings.count,
          connections: settings.connections,
          activeConnections: plan.activeConnections,
          groups: settings.groups,
          rate,
          autoRate: settings.rate.kind === "auto",
          size: settings.size,
          timeoutMs: settings.timeoutMs,
          pollIntervalMs: settings.pollIntervalMs,
          strictSendOrder: settings.strictSendOrder,
          quota,
        };
        if (!flags.json) {
          if (settings.rate.kind === "auto") io.err(io.color.dim(`pacing: ${describePacing(quota, rate, settings.groups)}`));
          for (const line of describeQuotaCheck(quota, settings.count, rate)) io.err(io.color.yellow(line));
          if (plan.activeConnections < settings.connections) {
            io.err(
              io.color.yellow(
                `note: only ${plan.activeConnections} of ${settings.connections} connections carry messages: each group is sent over one connection, so that its order is defined.`,
              ),
            );
          }
        }
        await runAndFinish({ url, plan, config, sqs, queueUrl, dlqUrl, settings, flags, context });
      } finally {
        sqs?.destroy();
      }
    });
}

/** One line on how --rate auto paced the burst, and why. */
function describePacing(quota: QuotaCheck, rate: Rate, groups: number): string {
  const pace = rate.kind === "max" ? "as fast as the sockets accept" : `${rate.perSecond}/s`;
  const share = `${PACING_SHARE * 100}%`;
  switch (quota.mode) {
    case "high-throughput": {
      const fromGroups = Math.floor(groups * (quota.quotaPerSecond ?? 0) * PACING_SHARE);
      const capped = rate.kind === "fixed" && rate.perSecond < fromGroups ? "; capped by the stage's throttle or the Region's figure for the queue" : "";
      return `${pace}: a high-throughput FIFO queue takes ${quota.quotaPerSecond} SendMessage/s per message group; ${groups} group(s) at ${share}${capped}`;
    }
    case "per-queue":
      return `${pace}: a FIFO queue without high throughput takes ${quota.quotaPerSecond} SendMessage/s in all; ${share} of it (more --groups would not help)`;
    case "standard":
      return `${pace}: a standard queue has no throughput quota`;
    default:
      return `${pace}: the queue's mode is unknown (${quota.note ?? "no queue"}), so paced for a normal FIFO queue's ${quota.quotaPerSecond} SendMessage/s at ${share}`;
  }
}

interface RunInput {
  url: string;
  plan: ReturnType<typeof planBurst>;
  config: BurstConfig;
  sqs: SQSClient | undefined;
  queueUrl: string | null;
  dlqUrl: string | null;
  settings: ReturnType<typeof parseBurstFlags>;
  flags: BurstCommandFlags;
  context: CommandContext;
}

async function runAndFinish(input: RunInput): Promise<void> {
  const { url, plan, config, sqs, queueUrl, dlqUrl, settings, flags, context } = input;
  const io = context.io;
  const live = flags.json ? undefined : createLiveView(io.stderr, io.color, io.interactive);
  const abort = new AbortController();
  void context.interrupted.then(() => abort.abort());
  try {
    const raw = await runBurstRaw({
      url,
      plan,
      config,
      probe: sqs && queueUrl ? sqsQueueProbe(sqs, queueUrl) : undefined,
      deadLetters: sqs && dlqUrl ? { inspect: (lost) => inspectDeadLetterQueue(sqs, dlqUrl, lost) } : undefined,
      signal: abort.signal,
      onEvent: live ? (event) => live.onEvent(event) : undefined,
      connectTimeoutMs: settings.connectTimeoutMs,
    });
    live?.stop();
    // The event log first: it is the raw record, worth keeping even if rendering fails.
    if (flags.events !== undefined) writeOutput(flags.events, "event log", toEventLog(raw));
    finish(computeReport(raw), flags, context);
  } finally {
    live?.stop();
  }
}
