import { accessSync, chmodSync, constants as fsConstants, mkdirSync, renameSync, statSync } from "node:fs";
import { WsqError } from "../../shared/errors.js";
import { daemonLogPath } from "./state.js";

/** The log is rotated once at start-up when it has grown past this, keeping one previous file. */
export const MAX_LOG_BYTES = 10 * 1024 * 1024;

/**
 * Creates the data directory private to the user (0700: it holds the database, and later the
 * functions' code and environment). Fails with the fix named, before anything is spawned.
 */
export function ensureDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    chmodSync(dataDir, 0o700);
    accessSync(dataDir, fsConstants.W_OK | fsConstants.R_OK);
  } catch (error) {
    throw new WsqError("DATA_DIR_UNUSABLE", `The data directory ${dataDir} cannot be used: ${(error as Error).message}`, {
      hint: "Pass a writable directory with --data-dir, or set WSQ_HOME to one.",
      cause: error,
    });
  }
}

/** Keeps the log bounded across restarts without a rotation daemon: one generation is kept. */
export function rotateLogIfLarge(dataDir: string): void {
  const logPath = daemonLogPath(dataDir);
  try {
    if (statSync(logPath).size > MAX_LOG_BYTES) renameSync(logPath, `${logPath}.1`);
  } catch {
    // No log yet, or it cannot be rotated: appending to it is still correct.
  }
}
