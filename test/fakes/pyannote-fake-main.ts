// Runs the pyannoteAI fake standalone for MCP-level end-to-end tests and the replicas bench:
//   npx node test/fakes/pyannote-fake-main.ts [--port N]     (or PYANNOTE_FAKE_PORT=N)
// Optional environment (whole numbers): PYANNOTE_FAKE_POLLS_UNTIL_DONE, PYANNOTE_FAKE_SPEAKERS,
// PYANNOTE_FAKE_SEGMENTS, PYANNOTE_FAKE_OUTPUT_TTL_MS, PYANNOTE_FAKE_SEED,
// PYANNOTE_FAKE_DONE_AFTER_MS (jobs also end this long after they were created),
// PYANNOTE_FAKE_REQUESTS_PER_MINUTE (the rate limit it enforces with 429s),
// PYANNOTE_FAKE_MIRRORS (more ports serving the same account: one base URL per server process);
// and PYANNOTE_FAKE_WEBHOOK_SECRET to have jobs that asked for a webhook deliver a signed one.
// Prints one JSON line on stdout:
//   {"baseUrl", "baseUrls", "apiKey", "storageUrl", "controlUrl"}
// controlUrl (its own port, outside the rate limit) answers GET /log with every API request
// (which base URL it came to, method, path, media URL of a create call, received/answered
// times, status), the jobs, and what the rate limit saw.
// The support file is loaded by its .ts name: the hook it installs is what makes the fake's
// ".js" specifiers resolve to their ".ts" sources under Node's type stripping.

const { announceAndServe, portFromArguments, resolveTypeScriptSources, wholeNumber } = (await import(
  new URL("./fake-main-support.ts", import.meta.url).href
)) as typeof import("./fake-main-support.js");
resolveTypeScriptSources();
const { startPyannoteFake } = await import("./pyannote-fake.js");
const { FakeServer } = await import("./fake-server.js");

const env = process.env;
const fake = await startPyannoteFake({
  port: portFromArguments(process.argv.slice(2), env.PYANNOTE_FAKE_PORT),
  pollsUntilDone: wholeNumber(env.PYANNOTE_FAKE_POLLS_UNTIL_DONE, "PYANNOTE_FAKE_POLLS_UNTIL_DONE"),
  doneAfterMs: wholeNumber(env.PYANNOTE_FAKE_DONE_AFTER_MS, "PYANNOTE_FAKE_DONE_AFTER_MS"),
  requestsPerMinute: wholeNumber(env.PYANNOTE_FAKE_REQUESTS_PER_MINUTE, "PYANNOTE_FAKE_REQUESTS_PER_MINUTE"),
  mirrors: wholeNumber(env.PYANNOTE_FAKE_MIRRORS, "PYANNOTE_FAKE_MIRRORS"),
  speakers: wholeNumber(env.PYANNOTE_FAKE_SPEAKERS, "PYANNOTE_FAKE_SPEAKERS"),
  segments: wholeNumber(env.PYANNOTE_FAKE_SEGMENTS, "PYANNOTE_FAKE_SEGMENTS"),
  outputTtlMs: wholeNumber(env.PYANNOTE_FAKE_OUTPUT_TTL_MS, "PYANNOTE_FAKE_OUTPUT_TTL_MS"),
  seed: wholeNumber(env.PYANNOTE_FAKE_SEED, "PYANNOTE_FAKE_SEED"),
  webhookSecret: env.PYANNOTE_FAKE_WEBHOOK_SECRET || undefined,
});

const control = new FakeServer();
control.route("GET", "/log", () => ({
  body: {
    requests: fake.servers
      .flatMap((server, index) =>
        server.requests.map((request) => ({
          server: index,
          sequence: request.sequence,
          method: request.method,
          path: request.path,
          mediaUrl: typeof (request.json as { url?: unknown } | undefined)?.url === "string" ? (request.json as { url: string }).url : undefined,
          receivedAt: request.receivedAt,
          answeredAt: request.answeredAt,
          status: request.status,
        })),
      )
      .sort((a, b) => a.sequence - b.sequence),
    jobs: [...fake.jobs.values()].map((job) => ({ jobId: job.jobId, url: job.body.url, createdAtMs: job.createdAtMs, status: fake.statusOf(job) })),
    webhooks: fake.webhookDeliveries,
    rateLimit: fake.rateLimitStats(),
  },
}));
await control.listen();

announceAndServe(
  {
    async close() {
      await control.close();
      await fake.close();
    },
  },
  { baseUrl: fake.baseUrl, baseUrls: fake.baseUrls, apiKey: fake.apiKey, storageUrl: fake.storage.baseUrl, controlUrl: control.baseUrl },
);
