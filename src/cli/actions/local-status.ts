import type { CommandContext } from "../program.js";
import { renderLocalStatus } from "../output/local-instance.js";
import { resolveDataDir } from "../flags.js";
import { ExitCode } from "../../shared/errors.js";
import { localStatus } from "../../local/daemon/index.js";

/** `wsq local status`: exit 1 when it does not run, so that scripts can test it. */
export async function localStatusAction(flags: { dataDir?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const dataDir = resolveDataDir(flags.dataDir, context.io.env);
  const status = await localStatus(dataDir);
  if (!status.running) context.setExitCode(ExitCode.failure);
  renderLocalStatus(context.io, dataDir, status, flags.json);
}
