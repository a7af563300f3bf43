import { readFileSync, writeFileSync } from "node:fs";
import { DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { CommandContext } from "../program.js";
import { ExitCode, WsqError, describeError } from "../../shared/errors.js";
import { clientConfig, requireLocalEndpoint, resolveTarget, type Target } from "../../shared/target.js";
import { findStackOutputs } from "../../deploy/stack-outputs.js";
import { validateWebSocketUrl } from "../../client/common/websocket-target.js";
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

export interface BurstCommandFlags extends BurstFlags {
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

export async function burstAction(flags: BurstCommandFlags, context: CommandContext): Promise<void> {
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
}
