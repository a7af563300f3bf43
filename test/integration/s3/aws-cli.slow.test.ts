import { describe, expect, it, onTestFinished } from "vitest";
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir, useTestCloud } from "../../helpers/local-cloud.js";
import type { LocalCloud } from "../../../src/local/server/local-cloud.js";

/** The AWS CLI (Debian's `awscli` package, or any other install) when it is on PATH. */
const awsCliAvailable = ((): boolean => {
  try {
    execFileSync("aws", ["--version"], { stdio: "ignore", timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
})();

function aws(cloud: LocalCloud, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "aws",
      ["--endpoint-url", cloud.url, ...args],
      {
        timeout: 60_000,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: "wsqlocal",
          AWS_SECRET_ACCESS_KEY: "wsqlocalsecret",
          AWS_DEFAULT_REGION: cloud.region,
          AWS_PAGER: "",
          AWS_CONFIG_FILE: "/dev/null",
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        },
      },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr }),
    );
  });
}

describe.runIf(awsCliAvailable)("S3 through the AWS CLI", () => {
  it("makes a bucket, copies small and multipart files both ways, lists, removes", async () => {
    const cloud = await useTestCloud();
    const dir = tempDir("wsq-s3-cli-");
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const small = join(dir, "small file.txt");
    const large = join(dir, "large.bin");
    writeFileSync(small, "hello from the AWS CLI\n");
    // Above the CLI's 8 MiB multipart threshold.
    writeFileSync(large, randomBytes(9 * 1024 * 1024));

    expect((await aws(cloud, ["s3", "mb", "s3://cli-assets"])).code).toBe(0);
    const uploaded = await aws(cloud, ["s3", "cp", "--recursive", dir, "s3://cli-assets/dir/"]);
    expect(uploaded.code, uploaded.stderr).toBe(0);
    const listed = await aws(cloud, ["s3", "ls", "--recursive", "s3://cli-assets"]);
    expect(listed.stdout).toContain("dir/small file.txt");
    expect(listed.stdout).toContain("dir/large.bin");
    const head = JSON.parse((await aws(cloud, ["s3api", "head-object", "--bucket", "cli-assets", "--key", "dir/large.bin"])).stdout) as {
      ETag: string;
      ContentLength: number;
    };
    expect(head.ContentLength).toBe(9 * 1024 * 1024);
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-2"$/);

    const downDir = tempDir("wsq-s3-cli-down-");
    onTestFinished(() => rmSync(downDir, { recursive: true, force: true }));
    const down = join(downDir, "large.down");
    const downloaded = await aws(cloud, ["s3", "cp", "s3://cli-assets/dir/large.bin", down]);
    expect(downloaded.code, downloaded.stderr).toBe(0);
    expect(readFileSync(down).equals(readFileSync(large))).toBe(true);

    const notEmpty = await aws(cloud, ["s3api", "delete-bucket", "--bucket", "cli-assets"]);
    expect(notEmpty.code).not.toBe(0);
    expect(notEmpty.stderr).toContain("BucketNotEmpty");
    expect((await aws(cloud, ["s3", "rb", "--force", "s3://cli-assets"])).code).toBe(0);
    expect(await cloud.services.s3.api.bucketExists("cli-assets")).toBe(false);
  });
});
