// Runs the official MCP conformance server scenarios against the built server, by hand:
//
//   npm run build && npx node conformance/run.mjs [--verbose] [--scenario NAME] [--suite all]
//
// Starts dist/cli.js --http --port 0 with a throw-away data dir, passes conformance/baseline.yml
// as the expected failures, prints the suite's summary and exits with its code.
// test/ship/conformance.test.ts does the same inside the test suite.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-conformance-"));
const server = spawn(process.execPath, [path.join(root, "dist", "cli.js"), "--http", "--port", "0"], {
  env: { ...process.env, MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_LOG_LEVEL: "warning" },
  stdio: ["ignore", "ignore", "pipe"],
});
const url = await new Promise((resolve, reject) => {
  let stderr = "";
  server.stderr.on("data", (chunk) => {
    stderr += chunk;
    const match = /\{"listening":"([^"]+)"\}/.exec(stderr);
    if (match) resolve(match[1]);
  });
  server.once("exit", (code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
});

const cli = path.join(root, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
const suite = spawn(
  process.execPath,
  [cli, "server", "--url", url, "--expected-failures", path.join(root, "conformance", "baseline.yml"), "-o", path.join(dataDir, "results"), ...process.argv.slice(2)],
  { stdio: "inherit" },
);
const code = await new Promise((resolve) => suite.once("exit", resolve));
server.kill("SIGTERM");
fs.rmSync(dataDir, { recursive: true, force: true });
process.exit(code ?? 1);
