import { configDefaults, defineConfig } from "vitest/config";

/**
 * Two suites, decided by where a test file is and how it is named, never by a list:
 *  - slow: test/reliability/ (kill -9, fault storms, the soak), test/package/ (npm pack and a clean
 *    install) and any file named `*.slow.test.ts` (real waits, load, other processes started many
 *    times over: the end-to-end proof whose wait is the point);
 *  - fast: every other `*.test.ts`, in two projects: `unit` (test/unit: pure logic, so its files
 *    share one module cache per worker instead of each importing the SDK and the services anew)
 *    and `integration` (the rest, each file in a fresh process: real clouds, daemons, signals).
 * `npm test` runs the fast suite (`--project unit --project integration`); `npm run test:all`
 * (and CI) runs all three projects.
 */
const SLOW = ["test/reliability/**/*.test.ts", "test/package/**/*.test.ts", "test/**/*.slow.test.ts"];

// Integration tests start real local clouds (SQLite, worker processes, sockets); two cores
// cannot run many of them at once without timing noise, so files run in a small fork pool.
export default defineConfig({
  test: {
    reporters: ["default", "./test/helpers/summary-reporter.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    // The AWS SDK warns on every Node 20 process that its 2027 releases will need Node 22; wsq
    // pins its SDK and supports Node 20, so the warning is noise in test output (bin/wsq.js too).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], exclude: [...configDefaults.exclude, ...SLOW], isolate: false } },
      { extends: true, test: { name: "integration", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, ...SLOW, "test/unit/**"] } },
      { extends: true, test: { name: "slow", include: SLOW } },
    ],
  },
});
