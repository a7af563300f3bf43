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

/** Client settings for any @aws-sdk v3 client pointed at a test cloud. */
export function sdkConfig(cloud: LocalCloud): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } } {
  return { endpoint: cloud.url, region: cloud.region, credentials: { ...LOCAL_CREDENTIALS } };
}
