// The handler as the pattern shipped it before issue 18, for comparison in the benches: the same
// processing (src/handler/process-batch.ts), posting through the AWS SDK's
// ApiGatewayManagementApiClient created on the first post. Bundled with the handler bundle's
// options, so zip size and Init Duration compare like with like.
import { build } from "esbuild";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export async function sdkHandlerZip(root) {
  const { deterministicZip } = await import(pathToFileURL(join(root, "dist", "deploy", "deterministic-zip.js")).href);
  const entry = `
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { processBatch, echoData } from "./src/handler/process-batch.ts";
let client;
const log = (level, message, fields) => console[level === "info" ? "log" : level](JSON.stringify({ level, message, ...fields }));
export const handler = (event) => processBatch(event, {
  post: async (connectionId, data) => {
    client ??= new ApiGatewayManagementApiClient({ endpoint: process.env.WSQ_CONNECTIONS_URL });
    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: new TextEncoder().encode(data) }));
  },
  process: echoData,
  now: () => Date.now(),
  log,
});`;
  const result = await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: "sdk-handler.mjs", loader: "js" },
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  return deterministicZip({ "index.js": result.outputFiles[0].contents, "package.json": `${JSON.stringify({ type: "commonjs" })}\n` });
}
