// The fake runs standalone (for MCP-level end-to-end tests) under Node's type stripping.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

it("starts from humanstandard-fake-main.ts, prints its base URL as one JSON line, and serves the API", async () => {
  const main = fileURLToPath(new URL("../../fakes/humanstandard-fake-main.ts", import.meta.url));
  const child = spawn(process.execPath, [main, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await once(lines, "line")) as [string];
    const started = JSON.parse(line) as { baseUrl: string; apiKey: string; webhookSecret: string };
    expect(started.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${started.baseUrl}/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${started.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "smoke", items: [{ item_id: "a", url: "https://cdn.example/a.mp3" }] }),
    });
    expect(response.headers.get("x-ratelimit-limit")).toBe("60");
    expect(((await response.json()) as { status: string }).status).toBe("queued");
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});
