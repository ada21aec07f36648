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
