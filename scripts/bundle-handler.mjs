// Bundles src/handler into dist/handler/handler.zip (the Lambda code `wsq deploy` uploads) and
// dist/handler/wrapper.mjs (what `wsq deploy --handler FILE` bundles a user's function with).
// Runs after tsc (`npm run build`), reusing the compiled bundler so build and deploy-time bundles
// are made the same way. The zip's bytes depend only on the sources: same sources, same sha256.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { bundleBuiltinHandler, builtinHandlerZipPath } from "../dist/deploy/handler-bundle.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const zipPath = builtinHandlerZipPath(root);
mkdirSync(dirname(zipPath), { recursive: true });

const asset = await bundleBuiltinHandler(root);
writeFileSync(zipPath, asset.zip);

// The wrapper and the directives module stay ESM with their packages external: they are inputs
// to esbuild at deploy time (`--handler`), which resolves @smithy/signature-v4 (the one package
// the wrapper imports) from wsq's own node_modules.
for (const name of ["wrapper", "directives"]) {
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, "src", "handler", `${name}.ts`)],
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node22",
    format: "esm",
    outfile: join(root, "dist", "handler", `${name}.mjs`),
    logLevel: "warning",
  });
}
process.stdout.write(`handler: ${zipPath} (${asset.zip.length} bytes, sha256 ${asset.sha256.slice(0, 12)})\n`);
