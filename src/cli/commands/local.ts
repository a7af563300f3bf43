import { Option, type Command } from "commander";
import { resolve as resolvePath } from "node:path";
import type { CommandContext } from "../program.js";
import type { CliIo } from "../output/io.js";
import { createProgress } from "../output/spinner.js";
import { ExitCode, WsqError } from "../../shared/errors.js";
import { defaultLocalDataDir } from "../../shared/paths.js";
import { VERSION } from "../../shared/version.js";
import { DEFAULT_PORT, DEFAULT_REGION } from "../../local/server/local-cloud.js";
import {
  daemonLogPath,
  followLog,
  formatUptime,
  localStatus,
  readLastPort,
  readLogTail,
  serveLocalCloud,
  startDaemon,
  stopLocalCloud,
  waitForStopSignal,
  STOP_GRACE_MS,
  type DaemonState,
} from "../../local/daemon/index.js";
import { isLoopbackHost } from "../../shared/loopback.js";

interface StartFlags {
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

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535) {
    throw new WsqError("BAD_PORT", `--port must be a whole number from 0 to 65535, not "${raw}".`, {
      hint: "Use 0 to pick a free port.",
      exitCode: ExitCode.usage,
    });
  }
  return port;
}

function parseLines(raw: string): number {
  if (!/^\d+$/.test(raw)) {
    throw new WsqError("BAD_LINES", `--lines must be a whole number, not "${raw}".`, { exitCode: ExitCode.usage });
  }
  return Number(raw);
}

function resolveDataDir(flag: string | undefined, io: CliIo): string {
  return resolvePath(flag ?? defaultLocalDataDir(io.env));
}

/** The flags a later command needs to find this instance again: none for the default data dir. */
function dataDirFlag(dataDir: string, io: CliIo): string {
  return dataDir === resolvePath(defaultLocalDataDir(io.env)) ? "" : ` --data-dir ${JSON.stringify(dataDir)}`;
}

function printInstance(io: CliIo, state: DaemonState, headline: string, json: boolean | undefined, extra: Record<string, unknown> = {}): void {
  const logFile = daemonLogPath(state.dataDir);
  if (json) {
    io.out(JSON.stringify({ ...state, logFile, ...extra }));
    return;
  }
  const c = io.stdoutColor;
  const flag = dataDirFlag(state.dataDir, io);
  io.out(
    [
      headline,
      `  ${c.dim("url")}       ${c.cyan(state.url)}`,
      `  ${c.dim("pid")}       ${state.pid}`,
      `  ${c.dim("data dir")}  ${state.dataDir}`,
      `  ${c.dim("log")}       ${logFile}`,
      `  ${c.dim("quotas")}    ${quotasText(state, c)}`,
      `  ${c.dim("frames")}    ${framesText(state, c)}`,
      `Point any AWS client at it with --endpoint-url ${state.url}.`,
      state.mode === "daemon" ? `Stop it with \`wsq local stop${flag}\`; follow its log with \`wsq local logs --follow${flag}\`.` : "Stop it with Ctrl-C.",
    ].join("\n"),
  );
}

/** Whether the SQS FIFO throughput quotas are enforced, in words (an instance of an older wsq records nothing: it had none). */
function quotasText(state: DaemonState, c: CliIo["stdoutColor"]): string {
  return state.quotas === true ? "SQS FIFO throughput enforced, as on AWS" : c.yellow("off: SQS accepts FIFO load that AWS would throttle");
}

/**
 * How a connection's frames reach their integration, in words. An instance of an older wsq records
 * nothing: it always integrated them in arrival order.
 */
function framesText(state: DaemonState, c: CliIo["stdoutColor"]): string {
  return state.orderedFrames === false
    ? "frames arriving together reach the queue in any order, as AWS allows"
    : c.yellow("ordered (--ordered-frames): each connection's frames reach the queue in arrival order, which AWS does not promise");
}

/** An instance that already runs keeps its settings: say so when the user asked for others. */
function noteSettingsKept(io: CliIo, state: DaemonState, flags: StartFlags): void {
  if (flags.json) return;
  if ((state.quotas === true) !== flags.quotas) {
    io.err(
      `${io.color.dim("Note:")} it runs with quotas ${state.quotas === true ? "on" : "off"}; stop it and start it again${flags.quotas ? "" : " with --no-quotas"} to change that.`,
    );
  }
  const ordered = state.orderedFrames !== false;
  if (ordered !== (flags.orderedFrames === true)) {
    io.err(
      `${io.color.dim("Note:")} it runs with ${ordered ? "ordered" : "unordered"} frames; stop it and start it again${ordered ? " without" : " with"} --ordered-frames to change that.`,
    );
  }
}

function warnIfExposed(io: CliIo, host: string): void {
  if (isLoopbackHost(host)) return;
  io.err(
    `${io.color.yellow("Warning:")} listening on ${host} exposes the local cloud to your network. It has no authentication ` +
      "and runs function code; keep it on 127.0.0.1 unless you mean this.",
  );
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

async function runStart(flags: StartFlags, context: CommandContext): Promise<void> {
  const { io } = context;
  const dataDir = resolveDataDir(flags.dataDir, io);
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

async function runStatus(flags: { dataDir?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const { io } = context;
  const dataDir = resolveDataDir(flags.dataDir, io);
  const status = await localStatus(dataDir);
  if (status.running) {
    const { state, health } = status;
    if (flags.json) {
      io.out(
        JSON.stringify({
          running: true,
          ...state,
          quotas: state.quotas === true,
          orderedFrames: state.orderedFrames !== false,
          version: health.version,
          uptimeMs: status.uptimeMs,
          logFile: daemonLogPath(dataDir),
        }),
      );
      return;
    }
    const c = io.stdoutColor;
    io.out(
      [
        `${c.green("running")}  ${c.cyan(state.url)}`,
        `  ${c.dim("pid")}       ${state.pid} (${state.mode})`,
        `  ${c.dim("uptime")}    ${formatUptime(status.uptimeMs)}`,
        `  ${c.dim("region")}    ${state.region}`,
        `  ${c.dim("data dir")}  ${state.dataDir}`,
        `  ${c.dim("log")}       ${daemonLogPath(dataDir)}`,
        `  ${c.dim("quotas")}    ${quotasText(state, c)}`,
        `  ${c.dim("frames")}    ${framesText(state, c)}`,
        `  ${c.dim("version")}   ${health.version}`,
      ].join("\n"),
    );
    if (health.version !== VERSION) {
      io.err(`${io.color.yellow("Note:")} it runs wsq ${health.version}, this CLI is ${VERSION}; restart it to run this version.`);
    }
    return;
  }
  context.setExitCode(ExitCode.failure);
  if (flags.json) {
    io.out(JSON.stringify({ running: false, dataDir, reason: status.reason, ...(status.state ? { pid: status.state.pid, url: status.state.url } : {}) }));
    return;
  }
  const flag = dataDirFlag(dataDir, io);
  if (status.reason === "unresponsive" && status.state) {
    io.out(`${io.stdoutColor.yellow("unresponsive")}  process ${status.state.pid} holds ${dataDir} but does not answer at ${status.state.url}.`);
    io.err(`Stop it with \`wsq local stop${flag}\`, then start it again.`);
    return;
  }
  io.out(`${io.stdoutColor.dim("not running")}  (data dir ${dataDir})`);
  if (status.reason === "stale" && status.state) io.err(`Removed a stale daemon.json left by process ${status.state.pid}.`);
  io.err(`Start it with \`wsq local start${flag}\`.`);
}

async function runStop(flags: { dataDir?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const { io } = context;
  const dataDir = resolveDataDir(flags.dataDir, io);
  const progress = createProgress(io, { json: flags.json, initial: "Stopping the local cloud..." });
  const result = await stopLocalCloud(dataDir);
  progress.stop();
  if (flags.json) {
    io.out(JSON.stringify({ dataDir, ...result, pid: result.state?.pid }));
    return;
  }
  if (!result.stopped) {
    io.out(`The local cloud is not running (data dir ${dataDir}); nothing to stop.`);
    return;
  }
  if (result.killed) {
    io.err(
      `${io.color.yellow("Warning:")} process ${result.state?.pid} did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM and was killed; ` +
        "acknowledged writes are durable, requests in flight were cut off.",
    );
  }
  io.out(`Stopped the local cloud (pid ${result.state?.pid}).`);
}

async function runLogs(flags: { dataDir?: string; follow?: boolean; lines: string }, context: CommandContext): Promise<void> {
  const { io } = context;
  const dataDir = resolveDataDir(flags.dataDir, io);
  const tail = readLogTail(dataDir, parseLines(flags.lines));
  io.stdout.write(tail.text);
  if (flags.follow) {
    await followLog(dataDir, tail.endOffset, (text) => void io.stdout.write(text), context.interrupted);
    context.setExitCode(ExitCode.ok);
  }
}

export function registerLocalCommand(program: Command, context: CommandContext): void {
  const local = program
    .command("local")
    .description("run the embedded local cloud (SQS, API Gateway WebSocket, Lambda, CloudFormation, S3) on 127.0.0.1")
    .addHelpText(
      "after",
      `
One local cloud runs per data directory (default: $WSQ_HOME/local, or ~/.wsq/local).

Examples:
  $ wsq local start                 start it in the background (port ${DEFAULT_PORT}, or the one it used last)
  $ wsq local start --foreground    run it in this terminal (Ctrl-C stops it)
  $ wsq local start --no-quotas     accept FIFO load beyond AWS's throughput quotas (which AWS would throttle)
  $ wsq local start --ordered-frames  integrate each connection's frames in arrival order (AWS does not promise it)
  $ wsq local status --json
  $ wsq local logs --follow
  $ wsq local stop`,
    );

  const dataDirOption = (): Option => new Option("--data-dir <dir>", "data directory (database, daemon.json, log)");

  local
    .command("start")
    .description("start the local cloud (in the background unless --foreground)")
    .option("--port <port>", `port to listen on; 0 picks a free one (default: the port this data dir last used, else ${DEFAULT_PORT})`)
    .addOption(dataDirOption())
    .option("--region <region>", "region the local cloud reports in ARNs and URLs", DEFAULT_REGION)
    .option("--host <host>", "interface to bind; anything but loopback exposes it to the network", "127.0.0.1")
    .option("--verify-signatures", "refuse AWS API requests not SigV4-signed with the local credentials (wsqlocal / wsqlocalsecret), as AWS would")
    .option("--no-quotas", "do not enforce AWS's SQS FIFO throughput quotas (300 calls/s per action, per message group in high-throughput mode)")
    .option(
      "--ordered-frames",
      "integrate each WebSocket connection's frames in the order they arrived (by default frames arriving together may reach the queue in any order, as on AWS)",
    )
    .option("--foreground", "run in this process, logging to stderr, until Ctrl-C or SIGTERM")
    .option("--json", "print the instance as JSON")
    .addOption(new Option("--daemon-child").hideHelp())
    .action((flags: StartFlags) => runStart(flags, context));

  local
    .command("status")
    .description("whether the local cloud runs, where, and for how long (exit 1 when it does not run)")
    .addOption(dataDirOption())
    .option("--json", "print the status as JSON")
    .action((flags: { dataDir?: string; json?: boolean }) => runStatus(flags, context));

  local
    .command("stop")
    .description(`stop the local cloud gracefully (in-flight writes finish; killed after ${STOP_GRACE_MS / 1000} s)`)
    .addOption(dataDirOption())
    .option("--json", "print the outcome as JSON")
    .action((flags: { dataDir?: string; json?: boolean }) => runStop(flags, context));

  local
    .command("logs")
    .description("print the local cloud's log")
    .addOption(dataDirOption())
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .option("-n, --lines <n>", "how many trailing lines to print", "50")
    .action((flags: { dataDir?: string; follow?: boolean; lines: string }) => runLogs(flags, context));
}
