// Runs every bench/*.bench.mjs in its own process, one after another (they share two cores),
// or only those named: `npm run bench -- sqs burst`. Each prints its figures and the ratio to
// a baseline it measured in the same run; this driver only sequences them and reports failures.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.mjs"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();
let failed = 0;
for (const file of files) {
  process.stdout.write(`\n=== ${file}\n`);
  const result = spawnSync(process.execPath, [join(here, file)], {
    stdio: "inherit",
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...process.env },
  });
  if (result.status !== 0) {
    failed += 1;
    process.stdout.write(`!!! ${file} exited with ${result.status ?? result.signal}\n`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
