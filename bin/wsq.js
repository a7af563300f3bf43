#!/usr/bin/env node
// Thin entry: refuse unsupported Node versions with a clear message, then run the compiled CLI.
const [major] = process.versions.node.split(".").map(Number);
if (major < 20) {
  process.stderr.write(`wsq needs Node.js 20 or newer; this is ${process.version}. Install a current Node.js and try again.\n`);
  process.exit(1);
}
try {
  await import("../dist/cli/main.js");
} catch (error) {
  if (error && error.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/cli/main.js")) {
    process.stderr.write("wsq is not built yet: run `npm install` (or `npm run build`) in the wsq folder first.\n");
    process.exit(1);
  }
  throw error;
}
