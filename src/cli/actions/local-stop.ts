import type { CommandContext } from "../program.js";
import { createProgress } from "../output/spinner.js";
import { renderStopResult } from "../output/local-instance.js";
import { resolveDataDir } from "../flags.js";
import { stopLocalCloud } from "../../local/daemon/index.js";

/** `wsq local stop`: SIGTERM, then SIGKILL after the grace period. */
export async function localStopAction(flags: { dataDir?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const { io } = context;
  const dataDir = resolveDataDir(flags.dataDir, io.env);
  const progress = createProgress(io, { json: flags.json, initial: "Stopping the local cloud..." });
  const result = await stopLocalCloud(dataDir);
  progress.stop();
  renderStopResult(io, dataDir, result, flags.json);
}
