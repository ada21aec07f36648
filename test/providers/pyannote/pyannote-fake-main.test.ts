// The pyannoteAI fake runs standalone (for MCP-level end-to-end tests) under Node's type stripping.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

it("starts from pyannote-fake-main.ts, prints its base URL as one JSON line, and serves the API", async () => {
  const main = fileURLToPath(new URL("../../fakes/pyannote-fake-main.ts", import.meta.url));
  const child = spawn(process.execPath, [main, "--port", "0"], {
    env: { ...process.env, PYANNOTE_FAKE_POLLS_UNTIL_DONE: "1", PYANNOTE_FAKE_SEGMENTS: "5" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await once(lines, "line")) as [string];
    const started = JSON.parse(line) as { baseUrl: string; apiKey: string; storageUrl: string };
    expect(started.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(started.storageUrl).not.toBe(started.baseUrl);
    const headers = { authorization: `Bearer ${started.apiKey}`, "content-type": "application/json" };
    const created = await fetch(`${started.baseUrl}/v1/diarize`, { method: "POST", headers, body: JSON.stringify({ url: "https://media.example/a.wav" }) });
    expect(created.headers.get("x-ratelimit-limit")).toBe("100");
    const { jobId } = (await created.json()) as { jobId: string };
    const job = (await (await fetch(`${started.baseUrl}/v1/jobs/${jobId}`, { headers })).json()) as { status: string; output: { diarization: unknown[] } };
    expect(job.status).toBe("succeeded");
    expect(job.output.diarization).toHaveLength(5);
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});

it("serves one account on several ports and logs which port each request came to, with the rate limit it enforced", async () => {
  const main = fileURLToPath(new URL("../../fakes/pyannote-fake-main.ts", import.meta.url));
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PYANNOTE_FAKE_MIRRORS: "2", PYANNOTE_FAKE_REQUESTS_PER_MINUTE: "3", PYANNOTE_FAKE_DONE_AFTER_MS: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await once(lines, "line")) as [string];
    const started = JSON.parse(line) as { baseUrls: string[]; apiKey: string; controlUrl: string };
    expect(new Set(started.baseUrls).size).toBe(3);
    const headers = { authorization: `Bearer ${started.apiKey}`, "content-type": "application/json" };
    const created = await fetch(`${started.baseUrls[1]}/v1/diarize`, { method: "POST", headers, body: JSON.stringify({ url: "https://media.example/b.wav" }) });
    const { jobId } = (await created.json()) as { jobId: string };
    // The job made through the second port is the same account's on the third.
    const job = (await (await fetch(`${started.baseUrls[2]}/v1/jobs/${jobId}`, { headers })).json()) as { status: string };
    expect(job.status).toBe("succeeded");
    expect((await fetch(`${started.baseUrls[0]}/v2/jobs`, { headers })).status).toBe(200);
    // The fourth request in the minute is over the shared limit of 3, whichever port it comes to.
    expect((await fetch(`${started.baseUrls[1]}/v2/jobs`, { headers })).status).toBe(429);
    const log = (await (await fetch(`${started.controlUrl}/log`)).json()) as {
      requests: Array<{ server: number; method: string; path: string; mediaUrl?: string; status: number; receivedAt: number; answeredAt: number }>;
      rateLimit: { refused: number; peakPerMinute: number };
    };
    expect(log.requests.map((request) => [request.server, request.method, request.path, request.status])).toEqual([
      [1, "POST", "/v1/diarize", 200],
      [2, "GET", `/v1/jobs/${jobId}`, 200],
      [0, "GET", "/v2/jobs", 200],
      [1, "GET", "/v2/jobs", 429],
    ]);
    expect(log.requests[0]!.mediaUrl).toBe("https://media.example/b.wav");
    expect(log.requests.every((request) => request.answeredAt >= request.receivedAt)).toBe(true);
    expect(log.rateLimit).toMatchObject({ refused: 1, peakPerMinute: 3 });
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});
