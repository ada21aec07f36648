// The fake runs standalone (for MCP-level end-to-end tests) under Node's type stripping.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

it("starts from hamsa-fake-main.ts, prints its base URL as one JSON line, and serves the API", async () => {
  const main = fileURLToPath(new URL("../../fakes/hamsa-fake-main.ts", import.meta.url));
  const child = spawn(process.execPath, [main, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await once(lines, "line")) as [string];
    const started = JSON.parse(line) as { baseUrl: string; apiKey: string; projectId: string };
    expect(started.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${started.baseUrl}/v1/jobs/transcribe`, {
      method: "POST",
      headers: { authorization: `Token ${started.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ mediaUrl: "https://media.example/a.mp3", model: "Hamsa-General-V2.0", processingType: "async" }),
    });
    expect(((await response.json()) as { success: boolean }).success).toBe(true);
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});
