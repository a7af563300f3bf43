import type { CommandContext } from "../program.js";
import { DEFAULT_PORT } from "../../shared/defaults.js";
import { createProgress } from "../output/spinner.js";
import { noteSettingsKept, printInstance, warnIfExposed } from "../output/local-instance.js";
import { parsePort, resolveDataDir } from "../flags.js";
import { ExitCode } from "../../shared/errors.js";
import { readLastPort, serveLocalCloud, startDaemon, waitForStopSignal } from "../../local/daemon/index.js";

export interface StartFlags {
  port?: string;
  dataDir?: string;
  region: string;
  host: string;
  verifySignatures?: boolean;
  /** Commander's `--no-quotas`: true unless that flag is given. */
  quotas: boolean;
  /** `--ordered-frames`: each connection's frames reach their integration in arrival order. */
  orderedFrames?: boolean;
  foreground?: boolean;
  daemonChild?: boolean;
  json?: boolean;
}

async function runForeground(flags: StartFlags, context: CommandContext, dataDir: string, port: number): Promise<void> {
  const { io } = context;
  const mode = flags.daemonChild ? "daemon" : "foreground";
  const serving = await serveLocalCloud({
    dataDir,
    port,
    host: flags.host,
    region: flags.region,
    mode,
    verifySignatures: flags.verifySignatures === true,
    quotas: flags.quotas,
    orderedFrames: flags.orderedFrames === true,
  });
  if ("alreadyRunning" in serving) {
    printInstance(io, serving.alreadyRunning, "The local cloud is already running.", flags.json, { alreadyRunning: true });
    noteSettingsKept(io, serving.alreadyRunning, flags);
    return;
  }
  if (!flags.daemonChild) printInstance(io, serving.state, "Local cloud listening.", flags.json);
  const signal = await waitForStopSignal(flags.daemonChild ? undefined : context.interrupted);
  serving.log.log("info", `received ${signal}: stopping gracefully`);
  if (!flags.daemonChild) io.err("Stopping the local cloud (finishing in-flight writes)...");
  await serving.stop();
  if (!flags.daemonChild) io.err("Stopped.");
  // A requested stop is a success, not an interruption.
  context.setExitCode(ExitCode.ok);
}

/** `wsq local start`: in the background (a daemon), or in this process with --foreground. */
export async function localStartAction(flags: StartFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  const dataDir = resolveDataDir(flags.dataDir, io.env);
  // The stacks deployed here name the port in their URLs: without --port, keep the last one.
  const port = flags.port !== undefined ? parsePort(flags.port) : (readLastPort(dataDir) ?? DEFAULT_PORT);
  if (!flags.daemonChild) warnIfExposed(io, flags.host);
  if (flags.foreground || flags.daemonChild) {
    await runForeground(flags, context, dataDir, port);
    return;
  }
  const progress = createProgress(io, { json: flags.json, initial: "Starting the local cloud..." });
  let result;
  try {
    result = await startDaemon({
      dataDir,
      port,
      host: flags.host,
      region: flags.region,
      verifySignatures: flags.verifySignatures === true,
      quotas: flags.quotas,
      orderedFrames: flags.orderedFrames === true,
    });
  } catch (error) {
    progress.fail("The local cloud did not start.");
    throw error;
  }
  progress.stop();
  if (result.replacedStale && !flags.json) {
    io.err(`${io.color.dim("Note:")} removed a stale daemon.json left by process ${result.replacedStale.pid}, which no longer runs.`);
  }
  const headline = result.alreadyRunning ? "The local cloud is already running." : "Local cloud started.";
  printInstance(io, result.state, headline, flags.json, { alreadyRunning: result.alreadyRunning });
  if (result.alreadyRunning) noteSettingsKept(io, result.state, flags);
}
