// The floor under any burst on this machine: the handler answers each message with one
// PostToConnection through the AWS SDK, so a 1,000-message burst cannot finish faster than 1,000
// such calls on their own. This measures them with nothing else in the way: a bare node:http server
// (no gateway, no queue, no Lambda) answering 200, and the SDK client the handler uses, already
// warm, split over one process per core, all sending at once.
//
// Run as a module, `postBackFloor()` returns { wallMs, cpuMsPerPost }. Run as a script (the child
// role) it is one of the client processes.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);
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

/** 1,000 (count) PostToConnection calls over one warm SDK client per core, against a bare stub. */
export async function postBackFloor(count) {
  const stub = await startStub();
  const processes = Math.max(1, availableParallelism());
  const clients = Array.from({ length: processes }, (_, i) => {
    const calls = Math.floor(count / processes) + (i < count % processes ? 1 : 0);
    const child = spawn(process.execPath, [self, `${stub.url}/bench`, String(calls)], {
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
  }
}

async function client(endpoint, calls) {
  const { ApiGatewayManagementApiClient, PostToConnectionCommand } = await import("@aws-sdk/client-apigatewaymanagementapi");
  const sdk = new ApiGatewayManagementApiClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench" } });
  // A result as the handler posts it, about the same size.
  const data = new TextEncoder().encode(
    JSON.stringify({
      type: "result",
      id: "run-0001",
      seq: 1,
      messageId: "00000000-0000-4000-8000-000000000000",
      group: "g1",
      receiveCount: 1,
      queueWaitMs: 3,
      data: "x".repeat(32),
    }),
  );
  const post = () => sdk.send(new PostToConnectionCommand({ ConnectionId: "L0SM9cOFvHcCIhw=", Data: data }));
  for (let i = 0; i < WARM_CALLS; i++) await post();
  process.stdout.write("ready\n");
  await once(createInterface({ input: process.stdin }), "line");
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await post();
  const used = process.cpuUsage(before);
  process.stdout.write(JSON.stringify({ cpuMs: (used.user + used.system) / 1000 }) + "\n");
}

if (process.argv[1] === self) {
  await client(process.argv[2], Number(process.argv[3]));
  process.exit(0);
}
