import { afterEach, describe, expect, it } from "vitest";
import { rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { S3Client, CreateBucketCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import { tempDir } from "../../helpers/local-cloud.js";
import { ensureLocalCloudRunning, localStatus, stopLocalCloud, isProcessAlive, readDaemonState } from "../../../src/local/daemon/index.js";
import { resolveTarget, clientConfig } from "../../../src/shared/target.js";

// ensureLocalCloudRunning spawns bin/wsq.js, which runs the built dist/ (`npm run build`).
describe("ensureLocalCloudRunning", () => {
  const dataDirs: string[] = [];
  afterEach(async () => {
    for (const dataDir of dataDirs.splice(0)) {
      await stopLocalCloud(dataDir, 5_000);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("starts a daemon once, then returns the running one; resolveTarget finds it", async () => {
    const dataDir = join(tempDir("wsq-ensure-"), "local");
    dataDirs.push(dataDir);
    const messages: string[] = [];
    const first = await ensureLocalCloudRunning({ dataDir, port: 0, onStart: (m) => messages.push(m) });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(first.url);
    expect(first.mode).toBe("daemon");
    expect(isProcessAlive(first.pid)).toBe(true);

    const second = await ensureLocalCloudRunning({ dataDir, port: 0, onStart: (m) => messages.push(m) });
    expect(second.pid).toBe(first.pid);
    expect(messages).toHaveLength(1);

    // Every other command reaches it through the shared target resolution.
    const target = resolveTarget({ dataDir }, {});
    expect(target.endpoint).toBe(first.url);
    const s3 = new S3Client({ ...clientConfig(target), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: "through-the-daemon" }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(["through-the-daemon"]);

    const status = await localStatus(dataDir);
    expect(status).toMatchObject({ running: true, state: { pid: first.pid } });
    const stopped = await stopLocalCloud(dataDir);
    expect(stopped).toMatchObject({ stopped: true, killed: false });
    expect(isProcessAlive(first.pid)).toBe(false);
    expect(readDaemonState(dataDir)).toBeUndefined();
  });

  it("surfaces the daemon's own start-up error", async () => {
    const dataDir = join(tempDir("wsq-ensure-bad-"), "local");
    dataDirs.push(dataDir);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, "wsq.sqlite"), "not a database, but long enough to look like a file header....");
    await expect(ensureLocalCloudRunning({ dataDir, port: 0 })).rejects.toMatchObject({ code: "DATABASE_CORRUPT" });
  });

  it("kills an instance that ignores SIGTERM, after the grace period", async () => {
    const dataDir = join(tempDir("wsq-ensure-stuck-"), "local");
    dataDirs.push(dataDir);
    const state = await ensureLocalCloudRunning({ dataDir, port: 0 });
    // SIGSTOP freezes it: SIGTERM stays pending, as with a process stuck in a long operation.
    process.kill(state.pid, "SIGSTOP");
    const stopped = await stopLocalCloud(dataDir, 300);
    expect(stopped).toMatchObject({ stopped: true, killed: true });
    expect(isProcessAlive(state.pid)).toBe(false);
    expect(readDaemonState(dataDir)).toBeUndefined();
  });
});
