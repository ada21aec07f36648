import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The end-to-end suites spawn the built CLI; two cores are all CI has.
    maxWorkers: 2,
  },
});
