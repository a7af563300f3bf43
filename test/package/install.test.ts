/**
 * The package ships what it runs (slow suite: a clean install takes minutes, most of it building
 * better-sqlite3). `npm pack` of this checkout's build, installed with --omit=dev into a temporary
 * folder, as a user gets it from the registry: no devDependency is there, the build outputs are,
 * and from THAT install a local cloud starts on an ephemeral port (private WSQ_HOME), `wsq deploy`
 * deploys the pattern, the pattern answers, and a template with an invalid property is refused
 * with the same reason as by a local cloud run from the checkout.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudFormationClient, CreateStackCommand, type StackEvent } from "@aws-sdk/client-cloudformation";
import { startTestCloud, tempDir } from "../helpers/local-cloud.js";
import { allEvents, fixture, settle } from "../integration/cloudformation/helpers.js";
import { LOCAL_CREDENTIALS } from "../../src/shared/target.js";
import { resourceSpecsPath } from "../../src/local/cloudformation/schema/resource-specs.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const PACK_TIMEOUT_MS = 120_000;
/** A clean install compiles better-sqlite3 when no prebuilt binary can be fetched: minutes on two cores. */
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const WSQ_TIMEOUT_MS = 120_000;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const work = tempDir("wsq-package-");
const app = join(work, "app");
const home = join(work, "home");
const installed = join(app, "node_modules", "wsq");
let cloudUrl: string | undefined;

/** The INSTALLED binary, with a private WSQ_HOME. */
function installedWsq(args: string[]): Promise<Ran> {
  return run(process.execPath, [join(installed, "bin", "wsq.js"), ...args], {
    cwd: app,
    env: { ...process.env, WSQ_HOME: home, NO_COLOR: "1", CI: "true" },
    timeoutMs: WSQ_TIMEOUT_MS,
  });
}

beforeAll(
  async () => {
    // The tarball is this checkout's build, as `npm publish` would pack it after `npm run build`.
    if (!existsSync(resourceSpecsPath(ROOT))) throw new Error(`${resourceSpecsPath(ROOT)} is missing: run \`npm run build\` before this test`);
    const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: ROOT, timeoutMs: PACK_TIMEOUT_MS });
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "wsq-package-test", private: true }));
    const install = await run("npm", ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", tarball], {
      cwd: app,
      timeoutMs: INSTALL_TIMEOUT_MS,
    });
    expect(install.code, install.stderr.slice(-4000)).toBe(0);
    const started = await installedWsq(["local", "start", "--port", "0", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    cloudUrl = (JSON.parse(started.stdout) as { url: string }).url;
  },
  INSTALL_TIMEOUT_MS + PACK_TIMEOUT_MS + WSQ_TIMEOUT_MS,
);

afterAll(async () => {
  if (cloudUrl !== undefined) await installedWsq(["local", "stop"]);
  rmSync(work, { recursive: true, force: true });
}, WSQ_TIMEOUT_MS);

/** Creates the stack of bad-property.yaml and returns its failed resource's event and final status. */
async function createBadStack(
  endpoint: string,
  region: string,
): Promise<{ failed: StackEvent | undefined; status: string | undefined; reason: string | undefined }> {
  const cfn = new CloudFormationClient({ endpoint, region, credentials: { ...LOCAL_CREDENTIALS } });
  try {
    await cfn.send(new CreateStackCommand({ StackName: "broken", TemplateBody: fixture("bad-property.yaml") }));
    const stack = await settle(cfn, "broken");
    const failed = (await allEvents(cfn, "broken")).find((event) => event.ResourceStatus === "CREATE_FAILED");
    return { failed, status: stack.StackStatus, reason: stack.StackStatusReason };
  } finally {
    cfn.destroy();
  }
}

describe("the package installed with --omit=dev", () => {
  it("holds no devDependency, and the build outputs it runs on", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    const presentDev = Object.keys(manifest.devDependencies).filter((name) => existsSync(join(app, "node_modules", name)));
    expect(presentDev).toEqual([]);
    expect(existsSync(resourceSpecsPath(installed))).toBe(true);
    expect(existsSync(join(installed, "dist", "handler", "handler.zip"))).toBe(true);
    expect(existsSync(join(installed, "templates", "wsq.yaml"))).toBe(true);
  });

  it("deploys the pattern to a local cloud it started, and the pattern answers", async () => {
    expect(cloudUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const deployed = await installedWsq(["deploy", "--yes", "--json"]);
    expect(deployed.code, deployed.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(deployed.stdout)).toMatchObject({ status: "CREATE_COMPLETE", outputs: { WebSocketUrl: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:/) } });
    const connected = await installedWsq(["connect", "--json", "--wait", "30", "-x", "from the installed package"]);
    expect(connected.code, connected.stderr.slice(-2000)).toBe(0);
    const results = connected.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; data?: unknown });
    expect(results.filter((record) => record.type === "result").map((record) => record.data)).toEqual(["from the installed package"]);
  });

  it("refuses an invalid template property with the reason the checkout gives", async () => {
    const fromInstall = await createBadStack(cloudUrl!, "us-east-1");
    const checkout = await startTestCloud();
    let fromCheckout: Awaited<ReturnType<typeof createBadStack>>;
    try {
      fromCheckout = await createBadStack(checkout.url, checkout.region);
    } finally {
      await checkout.stop();
    }
    expect(fromInstall.failed).toMatchObject({ LogicalResourceId: "Bad", ResourceStatusReason: "Encountered unsupported property NotAQueueProperty" });
    expect(fromInstall.status).toBe("ROLLBACK_COMPLETE");
    expect([fromInstall.failed?.ResourceStatusReason, fromInstall.status, fromInstall.reason]).toEqual([
      fromCheckout.failed?.ResourceStatusReason,
      fromCheckout.status,
      fromCheckout.reason,
    ]);
  });
});
