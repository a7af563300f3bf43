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
  },
});
