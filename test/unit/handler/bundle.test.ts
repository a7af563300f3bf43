import { unzipSync } from "fflate";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { bundleUserHandler, assetFromZip } from "../../../src/deploy/handler-bundle.js";
import { deterministicZip } from "../../../src/deploy/deterministic-zip.js";
import { tempDir } from "../../helpers/local-cloud.js";

function writeUserHandler(source: string, name = "my-handler.ts"): string {
  const dir = tempDir("wsq-handler-");
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

describe("deterministicZip", () => {
  it("gives the same bytes for the same files, whatever the insertion order, and different bytes otherwise", () => {
    const a = deterministicZip({ "index.js": "exports.x=1", "package.json": "{}" });
    const b = deterministicZip({ "package.json": "{}", "index.js": "exports.x=1" });
    const c = deterministicZip({ "index.js": "exports.x=2", "package.json": "{}" });
    expect(assetFromZip(a, "t").sha256).toBe(assetFromZip(b, "t").sha256);
    expect(assetFromZip(a, "t").sha256).not.toBe(assetFromZip(c, "t").sha256);
    expect(assetFromZip(a, "t").key).toMatch(/^handlers\/[0-9a-f]{64}\.zip$/);
  });
});

describe("bundleUserHandler", () => {
  it("bundles a TypeScript process function with the post-back wrapper into a working Lambda zip", async () => {
    const file = writeUserHandler(`
      export async function process(message: { data?: unknown }, context: { group: string }): Promise<unknown> {
        return { upper: String(message.data).toUpperCase(), group: context.group };
      }
    `);
    const first = await bundleUserHandler(file);
    const second = await bundleUserHandler(file);
    expect(second.sha256).toBe(first.sha256);

    const files = unzipSync(first.zip);
    expect(Object.keys(files).sort()).toEqual(["index.js", "package.json"]);
    const dir = tempDir("wsq-unzipped-");
    mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    expect(JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))).toEqual({ type: "commonjs" });

    // A real HTTP endpoint stands in for @connections: the bundle carries its own SDK client.
    const received: { method?: string; url?: string; body: string }[] = [];
    const server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        received.push({ method: request.method, url: request.url, body });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const saved = { ...process.env };
    onTestFinished(() => {
      process.env = saved;
    });
    process.env.WSQ_CONNECTIONS_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/production`;
    process.env.AWS_REGION = "us-east-1";
    process.env.AWS_ACCESS_KEY_ID = "test";
    process.env.AWS_SECRET_ACCESS_KEY = "test";

    const lambda = createRequire(import.meta.url)(join(dir, "index.js")) as { handler: (event: unknown) => Promise<unknown> };
    const response = await lambda.handler({
      Records: [
        {
          messageId: "m1",
          receiptHandle: "r",
          body: JSON.stringify({ id: "c-1", data: "hello" }),
          attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1", MessageGroupId: "g1", SequenceNumber: "1" },
          messageAttributes: { connectionId: { stringValue: "Ab=", dataType: "String" } },
          eventSource: "aws:sqs",
          eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q.fifo",
          awsRegion: "us-east-1",
        },
      ],
    });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(received).toHaveLength(1);
    expect(received[0]!.method).toBe("POST");
    // The SDK sends "@" as is on the wire (it signs the encoded form); the id is encoded.
    expect(received[0]!.url).toBe("/production/@connections/Ab%3D");
    expect(JSON.parse(received[0]!.body)).toMatchObject({ type: "result", id: "c-1", data: { upper: "HELLO", group: "g1" } });
  });

  it("lets a user function opt in to consumer directives with wsq/directives; without it, the wsq member is left alone", async () => {
    const loadHandler = async (source: string) => {
      const files = unzipSync((await bundleUserHandler(writeUserHandler(source))).zip);
      const dir = tempDir("wsq-unzipped-");
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
      return createRequire(import.meta.url)(join(dir, "index.js")) as { handler: (event: unknown, context?: unknown) => Promise<unknown> };
    };
    const event = {
      Records: [
        {
          messageId: "m1",
          receiptHandle: "r",
          body: JSON.stringify({ id: "c-1", wsq: { fail: "always" }, data: "hello" }),
          attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1", MessageGroupId: "g1", SequenceNumber: "1" },
          messageAttributes: { connectionId: { stringValue: "Ab=", dataType: "String" } },
          eventSource: "aws:sqs",
          eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:q.fifo",
          awsRegion: "us-east-1",
        },
      ],
    };
    const errors: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => void errors.push(String(line)));
    onTestFinished(() => {
      vi.restoreAllMocks();
    });
    const saved = process.env.WSQ_CONNECTIONS_URL;
    delete process.env.WSQ_CONNECTIONS_URL;
    onTestFinished(() => {
      if (saved !== undefined) process.env.WSQ_CONNECTIONS_URL = saved;
    });

    const optedIn = await loadHandler(`
      import { withDirectives } from "wsq/directives";
      export const process = withDirectives((message: { data?: unknown }) => message.data);
    `);
    const context = { awsRequestId: "req-1", getRemainingTimeInMillis: () => 3000 };
    expect(await optedIn.handler(event, context)).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }] });
    expect(errors.join("\n")).toMatch(/processing failed.*DirectedFailure/);

    // Not opted in: processing succeeds, and only the post fails (no @connections endpoint here).
    errors.length = 0;
    const plain = await loadHandler(`export const process = (message: { data?: unknown }) => message.data;`);
    expect(await plain.handler(event, context)).toEqual({ batchItemFailures: [{ itemIdentifier: "m1" }] });
    expect(errors.join("\n")).toMatch(/posting the result failed/);
    expect(errors.join("\n")).not.toMatch(/DirectedFailure/);
  });

  it("refuses a module that exports no process function, naming what it exports", async () => {
    const file = writeUserHandler("export const transform = (x: unknown) => x;\n");
    await expect(bundleUserHandler(file)).rejects.toThrow(/exports no `process` function \(it exports: transform\)/);
  });

  it("reports a syntax error with its location", async () => {
    const file = writeUserHandler("export function process( {\n");
    await expect(bundleUserHandler(file)).rejects.toThrow(/Bundling .* failed: .*my-handler\.ts:\d+/);
  });

  it("refuses a missing file and a file that is not code", async () => {
    await expect(bundleUserHandler("/nonexistent/handler.ts")).rejects.toThrow(/does not exist/);
    await expect(bundleUserHandler(writeUserHandler("x", "handler.txt"))).rejects.toThrow(/not TypeScript or JavaScript/);
  });
});
