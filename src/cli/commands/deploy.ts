import type { Command } from "commander";
import * as readline from "node:readline";
import type { CommandContext } from "../program.js";
import type { CliIo } from "../output/io.js";
import { createProgress, type Progress } from "../output/spinner.js";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { DEFAULT_STACK_NAME } from "../../deploy/stack-outputs.js";
import { checkDeployInput, deployPattern, type DeployResult } from "../../deploy/deploy.js";
import { prepareTarget } from "../../deploy/prepare-target.js";
import type { ChangeSummary, DeployEvent, StackOperation } from "../../deploy/events.js";

interface DeployFlags {
  target?: string;
  stackName: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  parameter: string[];
  handler?: string;
  yes?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

const VERB: Record<StackOperation, string> = { create: "Creating", update: "Updating", delete: "Deleting" };
const ACTION_MARK: Record<string, string> = { Add: "+", Modify: "~", Remove: "-", Import: "<", Dynamic: "?" };

/** Whether a question can be asked: a person at a terminal on both ends. */
export function canPrompt(io: CliIo): boolean {
  return io.interactive && io.stdin.isTTY === true;
}

export function ask(io: CliIo, question: string, interrupted: Promise<void>): Promise<string> {
  const rl = readline.createInterface({ input: io.stdin, output: io.stderr, terminal: true });
  return new Promise<string>((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer.trim());
    });
    void interrupted.then(() => {
      rl.close();
      resolve("");
    });
  });
}

export function formatChanges(io: CliIo, stackName: string, operation: string, changes: readonly ChangeSummary[]): string {
  const c = io.color;
  const width = Math.max(0, ...changes.map((change) => change.resourceType.length));
  const lines = changes.map((change) => {
    const mark = ACTION_MARK[change.action] ?? " ";
    const paint = change.action === "Add" ? c.green : change.action === "Remove" ? c.red : c.yellow;
    const replacement = change.replacement === "True" ? c.red(" (replaced)") : change.replacement === "Conditional" ? c.yellow(" (may be replaced)") : "";
    return `  ${paint(`${mark} ${change.action.padEnd(6)}`)} ${change.resourceType.padEnd(width)}  ${change.logicalId}${replacement}`;
  });
  return [`Changes to stack ${c.bold(stackName)} (${operation}, ${changes.length} resource${changes.length === 1 ? "" : "s"}):`, ...lines].join("\n");
}

/**
 * Renders the engine's events: an ora spinner with "done/total" and what is in progress on a TTY,
 * one plain line per event otherwise, nothing with --json. Failures are printed as they happen,
 * above the spinner, so they stay in view while the rollback scrolls by.
 */
export interface DeployRenderer {
  emit: (event: DeployEvent) => void;
  /** The current spinner or line printer. */
  readonly progress: Progress;
  /** Stops the spinner for a prompt; `resume` starts a new one (a stopped ora does not redraw). */
  pause(): void;
  resume(): void;
  stop(): void;
}

export function createDeployRenderer(io: CliIo, json: boolean): DeployRenderer {
  let progress = createProgress(io, { json });
  const c = io.color;
  const plain = !io.interactive;
  const emit = (event: DeployEvent): void => {
    if (json) return;
    switch (event.type) {
      case "step":
        progress.update(`${event.message}…`);
        break;
      case "note":
        progress.info(c.dim(event.message));
        break;
      case "changes":
        progress.info(formatChanges(io, event.stackName, event.operation, event.changes));
        break;
      case "no-changes":
        progress.info(`Stack ${event.stackName}: no changes.`);
        break;
      case "operation-start":
        progress.update(`${VERB[event.operation]} stack ${event.stackName} (0/${event.total})…`);
        break;
      case "resource": {
        const { event: e, progress: p } = event;
        const failed = e.status.endsWith("_FAILED");
        if (failed && e.reason) progress.info(`${c.red("✖")} ${e.logicalId} ${c.red(e.status)}: ${e.reason}`);
        if (plain) {
          if (!failed)
            progress.info(`  ${e.status.padEnd(22)} ${e.resourceType.padEnd(34)} ${e.logicalId}${e.reason && !failed ? c.dim(`  ${e.reason}`) : ""}`);
        } else {
          const busy =
            p.inProgress.length > 0
              ? c.dim(`  in progress: ${p.inProgress.slice(0, 4).join(", ")}${p.inProgress.length > 4 ? ` +${p.inProgress.length - 4}` : ""}`)
              : "";
          progress.update(`${event.stackName}: ${p.done}/${p.total} resources${busy}`);
        }
        break;
      }
      case "operation-end": {
        const ok = event.status.endsWith("_COMPLETE") && !event.status.includes("ROLLBACK");
        const text = `Stack ${event.stackName}: ${event.status} (${event.progress.done}/${event.progress.total} resources)`;
        if (ok) progress.succeed(text);
        else progress.fail(text);
        // succeed/fail stop the spinner; later steps (the pattern stack after the asset stack) need a new one.
        progress = createProgress(io, { json });
        break;
      }
    }
  };
  return {
    emit,
    get progress() {
      return progress;
    },
    pause: () => progress.stop(),
    resume: () => {
      progress = createProgress(io, { json });
    },
    stop: () => progress.stop(),
  };
}

export function renderOutputs(io: CliIo, outputs: Record<string, string | undefined>): string[] {
  const width = Math.max(0, ...Object.keys(outputs).map((k) => k.length));
  return Object.entries(outputs).map(([key, value]) => `  ${key.padEnd(width)}  ${value ?? ""}`);
}

function renderResult(io: CliIo, result: DeployResult): void {
  const c = io.stdoutColor;
  const where = `${result.target}${result.region ? `, ${result.region}` : ""}`;
  io.out(
    result.noChanges
      ? `Stack ${c.bold(result.stackName)} is up to date (${where}).`
      : `Stack ${c.bold(result.stackName)} deployed: ${result.status} (${where}).`,
  );
  for (const line of renderOutputs(io, { ...result.outputs })) io.out(line);
  const stackFlag = result.stackName === DEFAULT_STACK_NAME ? "" : ` --stack-name ${result.stackName}`;
  const targetFlag = result.target === "aws" ? " --target aws" : "";
  io.out(c.dim(`Next: wsq connect${stackFlag}${targetFlag}   ·   wsq burst${stackFlag}${targetFlag}   ·   wsq status${stackFlag}${targetFlag}`));
}

export function abortOn(interrupted: Promise<void>): AbortSignal {
  const controller = new AbortController();
  void interrupted.then(() => controller.abort());
  return controller.signal;
}

export function registerDeployCommand(program: Command, context: CommandContext): void {
  program
    .command("deploy")
    .description("deploy the pattern (WebSocket API -> SQS FIFO -> Lambda) with CloudFormation; shows the changes and asks before applying them")
    .option("--target <target>", "local (the embedded local cloud, started if needed; default) or aws")
    .option("--stack-name <name>", "CloudFormation stack name; resource names derive from it", DEFAULT_STACK_NAME)
    .option("--region <region>", "AWS Region (default: AWS_REGION or the profile's region)")
    .option("--profile <profile>", "AWS profile from ~/.aws (aws target)")
    .option("--endpoint-url <url>", "send every AWS call to this endpoint (an already running local cloud, or another emulator)")
    .option("--parameter <KEY=VALUE>", "template parameter, e.g. BatchSize=5 or FunctionTimeoutSeconds=30 (repeatable)", collect, [])
    .option("--handler <file>", "deploy your own processing function (.ts or .js exporting `process`) instead of the echo handler")
    .option("-y, --yes", "apply the changes without asking (required without a terminal, except on wsq's own local cloud)")
    .option("--json", "print the result (status, changes, outputs) as JSON on stdout")
    .addHelpText(
      "after",
      `
Parameters (--parameter KEY=VALUE): BatchSize (1-10), MaximumConcurrency (2-1000),
  FunctionTimeoutSeconds (5,10,15,30,60,120,300,900; the queue's visibility timeout is 6x),
  FunctionMemoryMB, MaxReceiveCount (>=5), StageName, ThrottlingRateLimit, ThrottlingBurstLimit,
  LogRetentionDays. A parameter not given keeps its current value on an update.

Examples:
  $ wsq deploy                                   local cloud (started if needed)
  $ wsq deploy --target aws --region eu-west-1 --yes
  $ wsq deploy --parameter BatchSize=5 --handler ./my-handler.ts`,
    )
    .action(async (flags: DeployFlags) => {
      const { io } = context;
      const json = flags.json === true;
      const renderer = createDeployRenderer(io, json);
      const { emit } = renderer;
      const signal = abortOn(context.interrupted);
      try {
        checkDeployInput({ stackName: flags.stackName, parameters: flags.parameter, ...(flags.handler !== undefined ? { handlerFile: flags.handler } : {}) });
        renderer.progress.update("Preparing the target…");
        const target = await prepareTarget(flags, { start: true, onStart: (message) => emit({ type: "note", message }) });
        const result = await deployPattern({
          target,
          stackName: flags.stackName,
          parameters: flags.parameter,
          ...(flags.handler !== undefined ? { handlerFile: flags.handler } : {}),
          emit,
          signal,
          confirm: async ({ changes }) => {
            if (flags.yes) return true;
            if (!canPrompt(io) && target.kind === "local" && flags.endpointUrl === undefined) {
              // `npx wsq deploy` is README's set-up command and may run without a terminal; on wsq's
              // own local cloud nothing but the user's emulator is at stake, so apply and say so.
              emit({ type: "note", message: "No terminal to confirm on: applying the changes to the local cloud (AWS deploys always ask, or take --yes)." });
              return true;
            }
            if (!canPrompt(io)) {
              throw new WsqError(
                "CONFIRMATION_REQUIRED",
                `Not applying ${changes.length} change${changes.length === 1 ? "" : "s"} without confirmation: there is no terminal to ask on.`,
                {
                  hint: "Review the changes listed above and run the command again with --yes.",
                  exitCode: ExitCode.usage,
                },
              );
            }
            renderer.pause();
            const answer = await ask(io, "Apply these changes? [y/N] ", context.interrupted);
            renderer.resume();
            return /^y(es)?$/i.test(answer);
          },
        });
        renderer.stop();
        if (json) io.out(JSON.stringify(result, null, 2));
        else renderResult(io, result);
      } catch (error) {
        renderer.stop();
        throw error;
      }
    });
}
