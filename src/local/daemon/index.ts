/**
 * `wsq local`: the local cloud as a process of its own. A background daemon per data directory,
 * recorded in `daemon.json` next to its database and log.
 */
export { ensureLocalCloudRunning, localStatus, stopLocalCloud, type EnsureLocalCloudOptions, type LocalStatus, type StopResult } from "./control.js";
export { startDaemon, DAEMON_START_TIMEOUT_MS, type DaemonStartOptions, type DaemonStartResult } from "./background.js";
export { serveLocalCloud, waitForStopSignal, type ServeOptions, type ServingLocalCloud } from "./serve.js";
export { probeInstance, fetchHealth, formatUptime, type InstanceProbe, type HealthReply } from "./instance.js";
export { readLogTail, followLog } from "./logs.js";
export {
  readDaemonState,
  readLastPort,
  isProcessAlive,
  daemonLogPath,
  daemonStatePath,
  DAEMON_LOG_FILE,
  DAEMON_STATE_FILE,
  type DaemonState,
} from "./state.js";
