import type { CliIo } from "./io.js";
import { STOP_GRACE_MS } from "../../shared/defaults.js";
import { resolveDataDir } from "../flags.js";
import { isLoopbackHost } from "../../shared/loopback.js";
import { VERSION } from "../../shared/version.js";
import { daemonLogPath, formatUptime, type DaemonState, type LocalStatus, type StopResult } from "../../local/daemon/index.js";

/** The flags a later command needs to find this instance again: none for the default data dir. */
export function dataDirFlag(dataDir: string, io: CliIo): string {
  return dataDir === resolveDataDir(undefined, io.env) ? "" : ` --data-dir ${JSON.stringify(dataDir)}`;
}

export function printInstance(io: CliIo, state: DaemonState, headline: string, json: boolean | undefined, extra: Record<string, unknown> = {}): void {
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
export function noteSettingsKept(io: CliIo, state: DaemonState, wanted: { json?: boolean; quotas: boolean; orderedFrames?: boolean }): void {
  if (wanted.json) return;
  if ((state.quotas === true) !== wanted.quotas) {
    io.err(
      `${io.color.dim("Note:")} it runs with quotas ${state.quotas === true ? "on" : "off"}; stop it and start it again${wanted.quotas ? "" : " with --no-quotas"} to change that.`,
    );
  }
  const ordered = state.orderedFrames !== false;
  if (ordered !== (wanted.orderedFrames === true)) {
    io.err(
      `${io.color.dim("Note:")} it runs with ${ordered ? "ordered" : "unordered"} frames; stop it and start it again${ordered ? " without" : " with"} --ordered-frames to change that.`,
    );
  }
}

export function warnIfExposed(io: CliIo, host: string): void {
  if (isLoopbackHost(host)) return;
  io.err(
    `${io.color.yellow("Warning:")} listening on ${host} exposes the local cloud to your network. It has no authentication ` +
      "and runs function code; keep it on 127.0.0.1 unless you mean this.",
  );
}

/** `wsq local status`: where it runs and for how long, or why it does not. */
export function renderLocalStatus(io: CliIo, dataDir: string, status: LocalStatus, json: boolean | undefined): void {
  if (status.running) {
    const { state, health } = status;
    if (json) {
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
  if (json) {
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

/** `wsq local stop`: what was stopped, and whether it had to be killed. */
export function renderStopResult(io: CliIo, dataDir: string, result: StopResult, json: boolean | undefined): void {
  if (json) {
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
