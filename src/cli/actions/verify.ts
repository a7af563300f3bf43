import type { CommandContext } from "../program.js";
import { createProgress } from "../output/spinner.js";
import { abortOn } from "../interrupt.js";
import { ExitCode } from "../../shared/errors.js";
import { runVerify } from "../../verify/run-verify.js";
import { renderVerifyReport } from "../../verify/render.js";
import { prepareTarget } from "../../deploy/prepare-target.js";
import { fetchHealth, stopLocalCloud } from "../../local/daemon/index.js";
import { DEFAULT_VERIFY_STACK } from "../commands/verify.js";
import type { TargetFlags } from "../../shared/target.js";

export interface VerifyFlags extends TargetFlags {
  stackName?: string;
  json?: boolean;
  keep?: boolean;
}

/** `wsq verify`: run the checks on the target, render the report, exit 0 / 3 by whether every assumption held. */
export async function verifyAction(flags: VerifyFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  const progress = createProgress(io, { json: flags.json, initial: "Preparing the target…" });
  const signal = abortOn(context.interrupted);
  let startedLocal = false;
  let dataDir: string | undefined;
  try {
    const target = await prepareTarget(
      flags,
      {
        start: true,
        onStart: (message) => {
          startedLocal = true;
          progress.info(io.color.dim(message));
        },
      },
      io.env,
    );
    dataDir = target.dataDir;
    let local: { quotas: boolean; orderedFrames: boolean } | null = null;
    if (target.kind === "local" && target.endpoint !== undefined) {
      const health = (await fetchHealth(target.endpoint)) as { quotas?: boolean; orderedFrames?: boolean } | undefined;
      if (health !== undefined) local = { quotas: health.quotas === true, orderedFrames: health.orderedFrames === true };
    }
    const report = await runVerify({
      target,
      stackName: flags.stackName ?? DEFAULT_VERIFY_STACK,
      keep: flags.keep === true,
      onStep: (message) => progress.update(`${message}…`),
      signal,
      env: io.env,
      local,
    });
    progress.stop();
    if (flags.json) io.out(JSON.stringify(report, null, 2));
    else io.out(renderVerifyReport(report, io.stdoutColor));
    context.setExitCode(report.ok ? ExitCode.ok : ExitCode.checkFailed);
  } catch (error) {
    progress.stop();
    throw error;
  } finally {
    if (startedLocal && flags.keep !== true && dataDir !== undefined) {
      // verify started this local cloud only for itself: stop it again.
      await stopLocalCloud(dataDir);
    }
  }
}
