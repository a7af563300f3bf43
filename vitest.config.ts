import { defineConfig } from "vitest/config";

// Integration tests start real local clouds (SQLite, worker processes, sockets); two cores
// cannot run many of them at once without timing noise, so files run in a small fork pool.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    // The AWS SDK warns on every Node 20 process that its 2027 releases will need Node 22; wsq
    // pins its SDK and supports Node 20, so the warning is noise in test output (bin/wsq.js too).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
