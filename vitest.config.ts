import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The end-to-end suites spawn the built CLI; two cores are all CI has.
    maxWorkers: 2,
    // .ci/run reads the counts from this report.
    reporters: ["default", ["json", { outputFile: ".vitest-report.json" }]],
  },
});
