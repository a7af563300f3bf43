import type { CommandContext } from "../program.js";
import { createDeployRenderer, type DeployRenderer } from "../output/deploy-renderer.js";
import { abortOn } from "../interrupt.js";
import { prepareTarget } from "../../deploy/prepare-target.js";
import type { DeployEvent } from "../../deploy/events.js";
import type { Target, TargetFlags } from "../../shared/target.js";

export interface StackOperationTools {
  target: Target;
  renderer: DeployRenderer;
  emit: (event: DeployEvent) => void;
  signal: AbortSignal;
}

/**
 * What deploy and destroy share: the input checked before anything starts, progress rendered from
 * the engine's events (nothing with --json), Ctrl-C as an abort signal, the target prepared (the
 * local cloud started if needed), and the renderer stopped before the result is printed (as JSON
 * with --json) or an error reported.
 */
export async function runStackOperation<R>(
  context: CommandContext,
  flags: TargetFlags & { json?: boolean },
  steps: { check(): void; run(tools: StackOperationTools): Promise<R>; print(result: R): void },
): Promise<void> {
  const renderer = createDeployRenderer(context.io, flags.json === true);
  const { emit } = renderer;
  const signal = abortOn(context.interrupted);
  try {
    steps.check();
    renderer.progress.update("Preparing the target…");
    const target = await prepareTarget(flags, { start: true, onStart: (message) => emit({ type: "note", message }) }, context.io.env);
    const result = await steps.run({ target, renderer, emit, signal });
    renderer.stop();
    if (flags.json === true) context.io.out(JSON.stringify(result, null, 2));
    else steps.print(result);
  } catch (error) {
    renderer.stop();
    throw error;
  }
}
