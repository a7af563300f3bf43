import type { DaemonState } from "./state.js";

/**
 * The status pipe between `wsq local start` and the daemon it spawns (Node's IPC channel): the
 * child says once whether it listens or why it could not start, so the parent reports the real
 * cause ("port in use", "database damaged") instead of a time-out.
 */
export type StartupReport =
  { type: "ready"; state: DaemonState; alreadyRunning?: boolean } | { type: "failed"; code: string; message: string; hint: string | undefined };

export function isStartupReport(value: unknown): value is StartupReport {
  if (typeof value !== "object" || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === "ready" || type === "failed";
}

/** Sends the report to the parent if there is one, then lets go of the channel so the parent can leave. */
export async function reportStartupToParent(report: StartupReport): Promise<void> {
  const send = process.send?.bind(process);
  if (send === undefined || !process.connected) return;
  await new Promise<void>((resolve) => {
    send(report, undefined, {}, () => resolve());
  });
  if (process.connected) process.disconnect();
}
