import { defineConfig } from "vitest/config";

/**
 * Four tiers, chosen by the test file's name (`npm run test:unit`, `test:integration`, `test:k8s`,
 * `test:browser`; `npm test` runs all of them after the typecheck and lint):
 *
 * - unit: `*.test.ts` that start nothing: no process, no server, not even on loopback (a setup file
 *   makes spawning or listening fail, saying to rename the file);
 * - integration: `*.int.test.ts`: real Redis, PostgreSQL, etcd, `drbot serve` processes and the
 *   Slack emulator, each started by the test on 127.0.0.1 with free ports;
 * - k8s: `*.k8s.test.ts`: one pair of local clusters (dc1, dc2) for the whole run, started by a
 *   global setup (test/support/k8s-global-setup.ts) and shared by the files one at a time, each in
 *   namespaces of its own;
 * - browser: `*.browser.test.ts`: the demo page in Chromium.
 */
const TIERS = {
  integration: "test/**/*.int.test.ts",
  k8s: "test/**/*.k8s.test.ts",
  browser: "test/**/*.browser.test.ts",
} as const;

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: Object.values(TIERS),
          setupFiles: ["./test/support/unit-guard.ts"],
        },
      },
      { extends: true, test: { name: "integration", include: [TIERS.integration] } },
      {
        extends: true,
        test: {
          name: "k8s",
          include: [TIERS.k8s],
          globalSetup: ["./test/support/k8s-global-setup.ts"],
          // The files share one pair of clusters; some stop an API server to play an outage, so
          // they take turns, after the other tiers have finished.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      { extends: true, test: { name: "browser", include: [TIERS.browser] } },
    ],
  },
});
