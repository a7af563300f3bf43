import { readFileSync, writeFileSync } from "node:fs";
import type { CommandContext } from "../program.js";
import { abortOn } from "../interrupt.js";
import { burstPattern, prepareBurst, resolveBurstEndpoints } from "../../client/burst/burst-pattern.js";
import { ExitCode, WsqError, describeError } from "../../shared/errors.js";
import { resolveTarget } from "../../shared/target.js";
import { parseBurstFlags, type BurstFlags } from "../../client/burst/options.js";
import { describePacing, describeQuotaCheck } from "../../client/burst/quota.js";
import { DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import { computeReport } from "../../client/burst/stats.js";
import { fromEventLog, toEventLog } from "../../client/burst/event-log.js";
import type { BurstReport } from "../../client/burst/types.js";
import { renderSummary } from "../../client/burst/render/summary.js";
import { createLiveView } from "../../client/burst/render/live.js";
import { renderHtmlReport } from "../../client/burst/render/html.js";
import { describeConsumerPlan } from "../../client/burst/render/consumer.js";

export interface BurstCommandFlags extends BurstFlags {
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
  const endpoints = await resolveBurstEndpoints(target, flags, io.env);
  const prepared = await prepareBurst({
    target,
    endpoints,
    settings,
    stackName: flags.url === undefined ? (flags.stackName ?? DEFAULT_STACK_NAME) : undefined,
  });
  const { plan, quota, rate } = prepared;
  if (!flags.json) {
    if (settings.rate.kind === "auto") io.err(io.color.dim(`pacing: ${describePacing(quota, rate, settings.groups)}`));
    for (const line of describeQuotaCheck(quota, settings.count, rate)) io.err(io.color.yellow(line));
    for (const line of describeConsumerPlan(prepared.config)) io.err(io.color.dim(line));
    if (plan.activeConnections < settings.connections) {
      io.err(
        io.color.yellow(
          `note: only ${plan.activeConnections} of ${settings.connections} connections carry messages: each group is sent over one connection, so that its order is defined.`,
        ),
      );
    }
  }
  const live = flags.json ? undefined : createLiveView(io.stderr, io.color, io.interactive, prepared.config);
  try {
    const raw = await burstPattern({
      target,
      endpoints,
      settings,
      prepared,
      signal: abortOn(context.interrupted),
      onEvent: live ? (event) => live.onEvent(event) : undefined,
    });
    live?.stop();
    // The event log first: it is the raw record, worth keeping even if rendering fails.
    if (flags.events !== undefined) writeOutput(flags.events, "event log", toEventLog(raw));
    finish(computeReport(raw), flags, context);
  } finally {
    live?.stop();
  }
}
