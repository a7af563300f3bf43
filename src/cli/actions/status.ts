import type { CommandContext } from "../program.js";
import { patternStatus } from "../../deploy/status.js";
import { prepareTarget } from "../../deploy/prepare-target.js";
import { renderStatus } from "../output/status.js";
import { ExitCode } from "../../shared/errors.js";

export interface StatusFlags {
  target?: string;
  stackName: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  json?: boolean;
}

export async function statusAction(flags: StatusFlags, context: CommandContext): Promise<void> {
  const target = await prepareTarget(flags, { start: false }, context.io.env);
  const result = await patternStatus({ target, stackName: flags.stackName });
  if (flags.json) context.io.out(JSON.stringify(result, null, 2));
  else renderStatus(context.io, result);
  // The stack answers nothing as it stands: a script checking the status must see that.
  if (result.problem) context.setExitCode(ExitCode.failure);
}
