// Runs the HumanStandard fake standalone for MCP-level end-to-end tests:
//   npx node test/fakes/humanstandard-fake-main.ts [--port N]     (or HUMANSTANDARD_FAKE_PORT=N)
// Optional env: HUMANSTANDARD_FAKE_POLLS (polls until complete), HUMANSTANDARD_FAKE_RATE_LIMIT
// (requests per minute). Prints one JSON line on stdout:
//   {"baseUrl": "...", "apiKey": "...", "webhookSecret": "..."}
// fake-main-support.ts is loaded by its ".ts" name: it installs the hook that lets ".js" imports work.

const support = (await import(new URL("./fake-main-support.ts", import.meta.url).href)) as typeof import("./fake-main-support.js");
support.resolveTypeScriptSources();

const { startHumanStandardFake, HUMANSTANDARD_FAKE_WEBHOOK_SECRET } = await import("./humanstandard-fake.js");

const perMinute = support.wholeNumber(process.env.HUMANSTANDARD_FAKE_RATE_LIMIT, "HUMANSTANDARD_FAKE_RATE_LIMIT");
const fake = await startHumanStandardFake({
  port: support.portFromArguments(process.argv.slice(2), process.env.HUMANSTANDARD_FAKE_PORT),
  pollsToComplete: support.wholeNumber(process.env.HUMANSTANDARD_FAKE_POLLS, "HUMANSTANDARD_FAKE_POLLS"),
  ...(perMinute ? { rateLimit: { limit: perMinute, windowMs: 60_000 } } : {}),
});
support.announceAndServe(fake, { baseUrl: fake.baseUrl, apiKey: fake.apiKey, webhookSecret: HUMANSTANDARD_FAKE_WEBHOOK_SECRET });
