// Runs the HumanStandard fake standalone for MCP-level end-to-end tests:
//   npx node test/fakes/humanstandard-fake-main.ts [--port N]     (or HUMANSTANDARD_FAKE_PORT=N)
// Optional env: HUMANSTANDARD_FAKE_POLLS (polls until complete), HUMANSTANDARD_FAKE_RATE_LIMIT
// (requests per minute). Prints one JSON line on stdout:
//   {"baseUrl": "...", "apiKey": "...", "webhookSecret": "..."}
// Node runs this file with type stripping; the project's imports say ".js" (NodeNext), so a
// resolve hook maps a missing relative ".js" to its ".ts" source before anything is imported.

import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (/^\.{1,2}\/.*\.js$/.test(specifier)) return nextResolve(specifier.replace(/\.js$/, ".ts"), context);
      throw error;
    }
  },
});

const { startHumanStandardFake, HUMANSTANDARD_FAKE_WEBHOOK_SECRET } = await import("./humanstandard-fake.js");

function numberFrom(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`invalid ${name}: ${raw}`);
  return value;
}

const argv = process.argv.slice(2);
const flag = argv.findIndex((argument) => argument === "--port" || argument.startsWith("--port="));
const portText = flag >= 0 ? (argv[flag]!.includes("=") ? argv[flag]!.split("=")[1] : argv[flag + 1]) : process.env.HUMANSTANDARD_FAKE_PORT;
const port = numberFrom(portText, "port");
const pollsToComplete = numberFrom(process.env.HUMANSTANDARD_FAKE_POLLS, "HUMANSTANDARD_FAKE_POLLS");
const perMinute = numberFrom(process.env.HUMANSTANDARD_FAKE_RATE_LIMIT, "HUMANSTANDARD_FAKE_RATE_LIMIT");

const fake = await startHumanStandardFake({
  port,
  pollsToComplete,
  ...(perMinute ? { rateLimit: { limit: perMinute, windowMs: 60_000 } } : {}),
});
process.stdout.write(JSON.stringify({ baseUrl: fake.baseUrl, apiKey: fake.apiKey, webhookSecret: HUMANSTANDARD_FAKE_WEBHOOK_SECRET }) + "\n");

const stop = () => void fake.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
