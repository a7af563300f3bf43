import { ensureLocalCloudRunning } from "../local/daemon/index.js";
import { resolveTarget, requireLocalEndpoint, type Target, type TargetFlags } from "../shared/target.js";

/**
 * The target for deploy/destroy/status. On the local target (without --endpoint-url), `start`
 * makes sure the local cloud runs, starting it in the background if needed; after that, the very
 * same SDK calls run as on AWS.
 */
export async function prepareTarget(
  flags: TargetFlags,
  options: { start: boolean; onStart?: (message: string) => void },
  env: NodeJS.ProcessEnv = process.env,
): Promise<Target> {
  const target = resolveTarget(flags, env);
  if (target.kind !== "local" || flags.endpointUrl !== undefined) return target;
  if (!options.start) {
    requireLocalEndpoint(target);
    return target;
  }
  const state = await ensureLocalCloudRunning({
    ...(target.dataDir !== undefined ? { dataDir: target.dataDir } : {}),
    ...(flags.region !== undefined ? { region: flags.region } : {}),
    ...(options.onStart ? { onStart: options.onStart } : {}),
  });
  return { ...target, endpoint: state.url, region: state.region };
}

/** ` --target aws` when the command ran against AWS, for the hints in messages. */
export function targetFlagFor(target: Target): string {
  return target.kind === "aws" ? " --target aws" : "";
}
