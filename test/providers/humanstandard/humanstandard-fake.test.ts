// The fake itself, since other suites (MCP end to end) rely on it speaking the wire format.

import { afterEach, expect, it } from "vitest";
import { startHumanStandardFake, type HumanStandardFake } from "../../fakes/humanstandard-fake.js";

let fake: HumanStandardFake | undefined;
afterEach(async () => {
  await fake?.close();
});

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${fake!.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${fake!.apiKey}`, "content-type": "application/json", ...(init.headers ?? {}) } });

it("filters results by verdict and status and pages through the filtered set", async () => {
  fake = await startHumanStandardFake({ pollsToComplete: 1 });
  const job = (await (await call("/jobs", { method: "POST", body: JSON.stringify({ name: "f", manifest_url: "https://s.example/m.ndjson?tracks=3000" }) })).json()) as { id: string };
  fake.complete(job.id);
  const read = async (query: string) => (await (await call(`/jobs/${job.id}/results?${query}`)).text()).split("\n").filter(Boolean).map((line) => JSON.parse(line) as { verdict: string | null; status: string; item_id: string });
  const truth = fake.truthCounts(job.id);
  const firstPage = await read("verdict=suspicious&per_page=1000&page=1");
  const rest = await read("verdict=suspicious&per_page=1000&page=2");
  expect(firstPage.every((record) => record.verdict === "suspicious")).toBe(true);
  expect(firstPage.length + rest.length).toBe(truth.suspicious);
  expect(new Set([...firstPage, ...rest].map((record) => record.item_id)).size).toBe(truth.suspicious);
  const failed = await read("status=failed&per_page=1000");
  expect(failed).toHaveLength(truth.failed);
  expect((await call(`/jobs/${job.id}/results?per_page=1001`)).status).toBe(400);
});

it("answers 429 with Retry-After and X-RateLimit-Reset beyond its window, and 401 for a wrong key", async () => {
  fake = await startHumanStandardFake({ rateLimit: { limit: 2, windowMs: 60_000 } });
  expect((await call("/jobs/job_x")).headers.get("x-ratelimit-remaining")).toBe("1");
  await call("/jobs/job_x");
  const limited = await call("/jobs/job_x");
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  expect(Number(limited.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
  expect(fake.rateLimitedCount()).toBe(1);

  await fake.close();
  fake = await startHumanStandardFake();
  const denied = await fetch(`${fake.baseUrl}/jobs/job_x`, { headers: { authorization: "Bearer nope" } });
  expect(denied.status).toBe(401);
});
