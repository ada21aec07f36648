// Runs the Hamsa fake standalone for MCP-level end-to-end tests:
//   npx node test/fakes/hamsa-fake-main.ts [--port N]     (or HAMSA_FAKE_PORT=N)
// Optional env: HAMSA_FAKE_PENDING_POLLS. Prints one JSON line on stdout:
//   {"baseUrl": "...", "apiKey": "...", "projectId": "..."}
// fake-main-support.ts is loaded by its ".ts" name: it installs the hook that lets ".js" imports work.

const support = (await import(new URL("./fake-main-support.ts", import.meta.url).href)) as typeof import("./fake-main-support.js");
support.resolveTypeScriptSources();

const { startHamsaFake } = await import("./hamsa-fake.js");

const fake = await startHamsaFake({
  port: support.portFromArguments(process.argv.slice(2), process.env.HAMSA_FAKE_PORT),
  pendingPolls: support.wholeNumber(process.env.HAMSA_FAKE_PENDING_POLLS, "HAMSA_FAKE_PENDING_POLLS"),
});
support.announceAndServe(fake, { baseUrl: fake.baseUrl, apiKey: fake.apiKey, projectId: fake.projectId });
