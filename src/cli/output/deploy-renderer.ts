import type { CliIo } from "./io.js";
import { DEFAULT_STACK_NAME } from "../../shared/defaults.js";
import { createProgress, type Progress } from "./spinner.js";
import type { ChangeSummary, DeployEvent, StackOperation } from "../../deploy/events.js";
import type { DeployResult } from "../../deploy/deploy.js";

const VERB: Record<StackOperation, string> = { create: "Creating", update: "Updating", delete: "Deleting" };
const ACTION_MARK: Record<string, string> = { Add: "+", Modify: "~", Remove: "-", Import: "<", Dynamic: "?" };

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

export function renderDeployResult(io: CliIo, result: DeployResult): void {
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
