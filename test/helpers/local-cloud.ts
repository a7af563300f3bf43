import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from "../../src/local/server/local-cloud.js";
import { LOCAL_CREDENTIALS } from "../../src/shared/target.js";

export function tempDir(prefix = "wsq-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A real local cloud on an ephemeral loopback port with a fresh data directory. Stopped (and its
 * data removed unless `keepData`) when the calling test or suite finishes, if `autoStop` is on.
 * It enforces AWS's quotas as `wsq local start` does; `{ quotas: false }` is `--no-quotas`.
 */
export async function startTestCloud(options: Partial<LocalCloudOptions> & { keepData?: boolean } = {}): Promise<LocalCloud> {
  const dataDir = options.dataDir ?? tempDir();
  const cloud = await startLocalCloud({ ...options, dataDir, port: options.port ?? 0 });
  return {
    ...cloud,
    stop: async () => {
      await cloud.stop();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts a test cloud that is stopped when the current test finishes. */
export async function useTestCloud(options: Partial<LocalCloudOptions> & { keepData?: boolean } = {}): Promise<LocalCloud> {
  const cloud = await startTestCloud(options);
  onTestFinished(() => cloud.stop());
  return cloud;
}

/**
 * A clock for a test cloud that stands still until the test moves it: rate quotas (SQS FIFO
 * throughput) then refill only when told, so a test counts exactly how many calls of a burst
 * pass, however fast or slow the machine serves them.
 */
export function manualClock(start = Date.now()): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** Client settings for any @aws-sdk v3 client pointed at a test cloud. */
export function sdkConfig(cloud: LocalCloud): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } } {
  return { endpoint: cloud.url, region: cloud.region, credentials: { ...LOCAL_CREDENTIALS } };
}
