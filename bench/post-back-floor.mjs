// The floor under any burst on this machine: the handler answers each message with one
// PostToConnection, so a 1,000-message burst cannot finish faster than 1,000 such calls on their
// own. This measures them with nothing else in the way: a bare node:http server (no gateway, no
// queue, no Lambda) answering 200, called by already warm clients split over one process per core,
// all sending at once. Two clients, each measured the same way:
//   - "lean": the handler's own client (src/handler/connections-client.ts, bundled as the handler
//     zip bundles it): SigV4 with @smithy/signature-v4 and its own keep-alive HTTP/1.1 client
//     (src/handler/http1.ts);
//   - "sdk": the AWS SDK's ApiGatewayManagementApiClient, as the handler used before.
// Warm-up is 300 calls per process: in a burst of 1,000 over ten environments each sees about 100,
// so a function worker is never warmer than that.
//
// Run as a module, `postBackFloor(count, client)` returns { wallMs, cpuMsPerPost, processes }. Run
// as a script (the child role) it is one of the client processes.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";

const self = fileURLToPath(import.meta.url);
const root = join(dirname(self), "..");
const WARM_CALLS = 300;

function lines(child) {
  return createInterface({ input: child.stdout })[Symbol.asyncIterator]();
}

async function startStub() {
  const script = `import { createServer } from "node:http";
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => { res.writeHead(200, { "content-length": "0" }); res.end(); });
});
server.listen(0, "127.0.0.1", () => process.stdout.write("http://127.0.0.1:" + server.address().port + "\\n"));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const { value } = await lines(child).next();
  return { child, url: value };
}

/**
 * The handler's client as the zip carries it: bundled from source with the handler bundle's own
 * esbuild options (src/deploy/handler-bundle.ts), into a temp dir the caller removes.
 */
export async function bundleLeanClient() {
  const { build } = await import("esbuild");
  const dir = mkdtempSync(join(tmpdir(), "wsq-lean-client-"));
  const outfile = join(dir, "connections-client.mjs");
  await build({
    entryPoints: [join(root, "src", "handler", "connections-client.ts")],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    alias: { "@smithy/signature-v4": "@smithy/signature-v4/dist-es/index.js" },
    outfile,
    logLevel: "silent",
  });
  return { module: outfile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `count` PostToConnection calls over one warm `client` ("lean" or "sdk") per core, against a bare stub. */
export async function postBackFloor(count, client = "sdk") {
  const stub = await startStub();
  const lean = client === "lean" ? await bundleLeanClient() : undefined;
  const processes = Math.max(1, availableParallelism());
  const clients = Array.from({ length: processes }, (_, i) => {
    const calls = Math.floor(count / processes) + (i < count % processes ? 1 : 0);
    const child = spawn(process.execPath, [self, `${stub.url}/bench`, String(calls), client, lean?.module ?? ""], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    return { child, out: lines(child) };
  });
  try {
    for (const c of clients) {
      const { value } = await c.out.next();
      if (value !== "ready") throw new Error(`post-back client said ${value}`);
    }
    const start = performance.now();
    for (const c of clients) c.child.stdin.write("go\n");
    const reports = await Promise.all(clients.map(async (c) => JSON.parse((await c.out.next()).value)));
    const wallMs = performance.now() - start;
    const cpuMs = reports.reduce((sum, r) => sum + r.cpuMs, 0);
    return { wallMs, cpuMsPerPost: cpuMs / count, processes };
  } finally {
    for (const c of clients) c.child.kill("SIGTERM");
    stub.child.kill("SIGTERM");
    await once(stub.child, "exit");
    lean?.remove();
  }
}

async function makePost(kind, endpoint, leanModule) {
  const credentials = { accessKeyId: "AKIDBENCH", secretAccessKey: "bench" };
  if (kind === "lean") {
    const { ConnectionsClient } = await import(pathToFileURL(leanModule).href);
    const lean = new ConnectionsClient({ endpoint, region: "us-east-1", credentials });
    return (data) => lean.postToConnection("L0SM9cOFvHcCIhw=", data);
  }
  const { ApiGatewayManagementApiClient, PostToConnectionCommand } = await import("@aws-sdk/client-apigatewaymanagementapi");
  const sdk = new ApiGatewayManagementApiClient({ endpoint, region: "us-east-1", credentials });
  return (data) => sdk.send(new PostToConnectionCommand({ ConnectionId: "L0SM9cOFvHcCIhw=", Data: new TextEncoder().encode(data) }));
}

async function child(endpoint, calls, kind, leanModule) {
  // A result as the handler posts it, about the same size.
  const data = JSON.stringify({
    type: "result",
    id: "run-0001",
    seq: 1,
    messageId: "00000000-0000-4000-8000-000000000000",
    group: "g1",
    receiveCount: 1,
    queueWaitMs: 3,
    data: "x".repeat(32),
  });
  const post = await makePost(kind, endpoint, leanModule);
  for (let i = 0; i < WARM_CALLS; i++) await post(data);
  process.stdout.write("ready\n");
  await once(createInterface({ input: process.stdin }), "line");
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await post(data);
  const used = process.cpuUsage(before);
  process.stdout.write(JSON.stringify({ cpuMs: (used.user + used.system) / 1000 }) + "\n");
}

if (process.argv[1] === self) {
  await child(process.argv[2], Number(process.argv[3]), process.argv[4], process.argv[5]);
  process.exit(0);
}
