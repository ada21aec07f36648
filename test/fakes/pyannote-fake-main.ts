// Runs the pyannoteAI fake standalone for MCP-level end-to-end tests:
//   npx node test/fakes/pyannote-fake-main.ts [--port N]     (or PYANNOTE_FAKE_PORT=N)
// Optional environment (whole numbers): PYANNOTE_FAKE_POLLS_UNTIL_DONE, PYANNOTE_FAKE_SPEAKERS,
// PYANNOTE_FAKE_SEGMENTS, PYANNOTE_FAKE_OUTPUT_TTL_MS, PYANNOTE_FAKE_SEED; and
// PYANNOTE_FAKE_WEBHOOK_SECRET to have jobs that asked for a webhook deliver a signed one.
// Prints one JSON line on stdout: {"baseUrl": "...", "apiKey": "...", "storageUrl": "..."}.
// The support file is loaded by its .ts name: the hook it installs is what makes the fake's
// ".js" specifiers resolve to their ".ts" sources under Node's type stripping.

const { announceAndServe, portFromArguments, resolveTypeScriptSources, wholeNumber } = (await import(
  new URL("./fake-main-support.ts", import.meta.url).href
)) as typeof import("./fake-main-support.js");
resolveTypeScriptSources();
const { startPyannoteFake } = await import("./pyannote-fake.js");

const env = process.env;
const fake = await startPyannoteFake({
  port: portFromArguments(process.argv.slice(2), env.PYANNOTE_FAKE_PORT),
  pollsUntilDone: wholeNumber(env.PYANNOTE_FAKE_POLLS_UNTIL_DONE, "PYANNOTE_FAKE_POLLS_UNTIL_DONE"),
  speakers: wholeNumber(env.PYANNOTE_FAKE_SPEAKERS, "PYANNOTE_FAKE_SPEAKERS"),
  segments: wholeNumber(env.PYANNOTE_FAKE_SEGMENTS, "PYANNOTE_FAKE_SEGMENTS"),
  outputTtlMs: wholeNumber(env.PYANNOTE_FAKE_OUTPUT_TTL_MS, "PYANNOTE_FAKE_OUTPUT_TTL_MS"),
  seed: wholeNumber(env.PYANNOTE_FAKE_SEED, "PYANNOTE_FAKE_SEED"),
  webhookSecret: env.PYANNOTE_FAKE_WEBHOOK_SECRET || undefined,
});
announceAndServe(fake, { baseUrl: fake.baseUrl, apiKey: fake.apiKey, storageUrl: fake.storage.baseUrl });
