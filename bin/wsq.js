#!/usr/bin/env node
// Thin entry: refuse unsupported Node versions with a clear message, then run the compiled CLI.
const [major] = process.versions.node.split(".").map(Number);
if (major < 20) {
  process.stderr.write(`wsq needs Node.js 20 or newer; this is ${process.version}. Install a current Node.js and try again.\n`);
  process.exit(1);
}
// The AWS SDK warns on Node 20 that its releases after January 2027 will need Node 22. wsq pins
// its SDK clients to patch releases of the versions it was tested with (~ ranges in package.json,
// so an install from the registry cannot pull such a release either) and supports Node 20: the
// warning tells a wsq user nothing they can act on.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
try {
  await import("../dist/cli/main.js");
} catch (error) {
  if (error && error.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/cli/main.js")) {
    process.stderr.write("wsq is not built yet: run `npm install` (or `npm run build`) in the wsq folder first.\n");
    process.exit(1);
  }
  throw error;
}
