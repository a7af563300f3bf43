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
import { renderSummary } from "../../client/burst/render/summary.js";
import { createLiveView } from "../../client/burst/render/live.js";
import { renderHtmlReport } from "../../client/burst/render/html.js";

interface BurstCommandFlags extends BurstFlags {
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
    .description("fire a burst of messages and watch the queue absorb it: latency, queue depth, loss, duplicates and order checked")
    .option("-n, --count <n>", "messages to send", "1000")
    .option("-c, --connections <n>", "WebSocket connections to send them over", "10")
    .option("-r, --rate <n|max>", "messages per second (open model), or max: as fast as the sockets accept", "max")
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
    .option("--connect-timeout <seconds>", "give up opening a connection after this long", String(DEFAULT_CONNECT_TIMEOUT_MS / 1000))
    .addHelpText(
      "after",
      `
Every message carries a unique id, its group and a per-group sequence number; the handler echoes
them, so each result is tied to its message. Latency is measured from when a message was due
(its slot in the --rate schedule, or the burst's start with --rate max), not from when it was
written, so a stalled server cannot hide its stall (no coordinated omission). Connections open
no faster than API Gateway's 500 new connections per second.

Exit codes: 0 every message answered once, in order, on its own connection;
            3 a message was lost, duplicated or answered out of order; 1 the burst could not run;
            130 interrupted (Ctrl-C stops sending and still prints the summary).

Examples:
  $ wsq burst --count 1000 --connections 10
  $ wsq burst --count 10000 --connections 100 --rate 2000 --report burst.html
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

      const plan = planBurst({ ...settings, runId: settings.runId });
      const config: BurstConfig = {
        runId: settings.runId,
        url,
        queueUrl,
        deadLetterQueueUrl: dlqUrl,
        count: settings.count,
        connections: settings.connections,
        activeConnections: plan.activeConnections,
        groups: settings.groups,
        rate: settings.rate,
        size: settings.size,
        timeoutMs: settings.timeoutMs,
        pollIntervalMs: settings.pollIntervalMs,
      };
      const sqs = queueUrl !== null || dlqUrl !== null ? new SQSClient(sqsConfig(target, queueUrl ?? dlqUrl)) : undefined;
      const live = flags.json ? undefined : createLiveView(io.stderr, io.color, io.interactive);
      if (!flags.json && plan.activeConnections < settings.connections) {
        io.err(
          io.color.yellow(
            `note: only ${plan.activeConnections} of ${settings.connections} connections carry messages: each group is sent over one connection, so that its order is defined.`,
          ),
        );
      }
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
        sqs?.destroy();
      }
    });
}
