/**
 * Where the worker bootstrap lives. In a build it is the compiled runtime/bootstrap.js next to
 * this module. Under the test runner the sources run untranspiled, and a forked child is plain
 * Node that cannot load TypeScript, so the bootstrap (node built-ins only) is bundled on the fly
 * with esbuild into the temp directory, once per content.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

export async function bootstrapPath(): Promise<string> {
  if (cached !== undefined) return cached;
  const compiled = fileURLToPath(new URL("./runtime/bootstrap.js", import.meta.url));
  if (existsSync(compiled)) return (cached = compiled);
  const source = fileURLToPath(new URL("./runtime/bootstrap.ts", import.meta.url));
  const digest = createHash("sha256").update(readFileSync(source)).digest("hex").slice(0, 16);
  const directory = join(tmpdir(), "wsq-lambda-bootstrap");
  const output = join(directory, `bootstrap-${digest}.mjs`);
  if (!existsSync(output)) {
    mkdirSync(directory, { recursive: true });
    const esbuild = await import("esbuild");
    await esbuild.build({ entryPoints: [source], outfile: output, bundle: true, platform: "node", format: "esm", target: "node20", logLevel: "silent" });
  }
  return (cached = output);
}

/**
 * The node_modules that holds wsq's own AWS SDK: Lambda's Node.js runtimes ship SDK v3, and
 * handlers like the seed pattern's `require("@aws-sdk/client-apigatewaymanagementapi")` rely on
 * it. NODE_PATH makes it resolvable from CommonJS (ESM ignores NODE_PATH: see docs/lambda.md).
 */
export function sdkNodePath(): string | undefined {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, "node_modules");
    if (existsSync(join(candidate, "@aws-sdk"))) return candidate;
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}
