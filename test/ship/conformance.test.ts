// The official MCP conformance suite (@modelcontextprotocol/conformance, server mode) against
// the built server over Streamable HTTP. Scenarios that only call the reference server's
// fixtures are listed with their reasons in conformance/baseline.yml; the product features
// those scenarios stand for (completion, template reads, prompts/get, log notifications) are
// checked below on our own job template, prompts and jobs.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { LoggingMessageNotificationSchema, type LoggingMessageNotification } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callTool, ROOT, startHttp, structured, tempDataDir, type HttpChild } from "../e2e/harness.js";

const CONFORMANCE_CLI = path.join(ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
const BASELINE = path.join(ROOT, "conformance", "baseline.yml");
const SAMPLE_DIR = path.join(ROOT, "assets", "sample");

/** Scenarios a product server must pass on its own tools, prompts and resources. */
const REQUIRED = [
  "server-initialize",
  "ping",
  "tools-list",
  "logging-set-level",
  "dns-rebinding-protection",
  "resources-list",
  "resources-subscribe",
  "resources-unsubscribe",
  "prompts-list",
  "server-sse-multiple-streams",
];

interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED";
  errorMessage?: string;
}

let server: HttpChild;
let dataDir: string;
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-conformance-"));
let run: { code: number | null; output: string };
const checksByScenario = new Map<string, Check[]>();

function baselined(): string[] {
  return fs
    .readFileSync(BASELINE, "utf8")
    .split("\n")
    .map((line) => /^\s*-\s*([a-z0-9-]+)\s*$/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

beforeAll(async () => {
  dataDir = tempDataDir();
  server = await startHttp({ MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_ALLOWED_DIRS: SAMPLE_DIR, MEDIA_JOBS_LOG_LEVEL: "warning" });
  run = await new Promise((resolve, reject) => {
    // On the pinned Node, like everything else the suite runs.
    const child = spawn(process.execPath, [CONFORMANCE_CLI, "server", "--url", server.url, "--expected-failures", BASELINE, "-o", outDir], {
      cwd: outDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`conformance CLI did not finish:\n${output}`));
    }, 100_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
  for (const entry of fs.readdirSync(outDir)) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(entry)?.[1];
    const file = path.join(outDir, entry, "checks.json");
    if (scenario && fs.existsSync(file)) checksByScenario.set(scenario, JSON.parse(fs.readFileSync(file, "utf8")) as Check[]);
  }
}, 120_000);

afterAll(async () => {
  await server?.close();
  fs.rmSync(outDir, { recursive: true, force: true });
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const failuresOf = (scenario: string) => (checksByScenario.get(scenario) ?? []).filter((check) => check.status === "FAILURE");

describe("official MCP conformance scenarios over Streamable HTTP", () => {
  it("fails no scenario outside the fixture baseline, and the baseline has no stale entry", () => {
    const summary = run.output.slice(run.output.indexOf("=== SUMMARY ==="));
    expect(run.code, summary || run.output).toBe(0);
  });

  it.each(REQUIRED)("passes %s", (scenario) => {
    expect(checksByScenario.has(scenario), `scenario ${scenario} did not run`).toBe(true);
    expect(failuresOf(scenario).map((check) => `${check.id}: ${check.errorMessage}`)).toEqual([]);
  });

  it("baselines only scenarios that exist and fail on fixtures, never a required one", () => {
    for (const scenario of baselined()) {
      expect(REQUIRED).not.toContain(scenario);
      expect(checksByScenario.has(scenario), `baselined scenario ${scenario} no longer exists`).toBe(true);
      // Each failure names a fixture the reference server has and we do not.
      const messages = failuresOf(scenario).map((check) => check.errorMessage ?? "").join(" ");
      expect(messages, scenario).toMatch(/test_|test:\/\/|not found|No .* (content|notifications)|did not request|Missing|Expected multiple/i);
    }
  });
});

describe("the same features on our own surface, over the same HTTP server", () => {
  let client: Client;
  let jobId: string;
  const logs: LoggingMessageNotification["params"][] = [];

  beforeAll(async () => {
    client = await server.connect();
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      logs.push(notification.params);
    });
    await client.setLoggingLevel("info");
    const started = await callTool(client, "start_job", { provider: "local", task: "acoustic", media: [{ path: path.join(SAMPLE_DIR, "sample.ogg") }] });
    jobId = structured<{ job: { job_id: string } }>(started).job.job_id;
  });

  it("completes a job id in the job resource template", async () => {
    const prefix = jobId.slice(0, "local:".length + 2);
    const completed = await client.complete({ ref: { type: "ref/resource", uri: "media-jobs://jobs/{job_id}" }, argument: { name: "job_id", value: prefix } });
    expect(completed.completion.values).toContain(jobId);
    const none = await client.complete({ ref: { type: "ref/resource", uri: "media-jobs://jobs/{job_id}" }, argument: { name: "job_id", value: "zzz-no-such" } });
    expect(none.completion.values).toEqual([]);
  });

  it("answers completion for one of our prompts (what completion-complete asks of its fixture prompt)", async () => {
    const completed = await client.complete({ ref: { type: "ref/prompt", name: "acoustic_check" }, argument: { name: "recording", value: "htt" } });
    expect(Array.isArray(completed.completion.values)).toBe(true);
  });

  it("lists the job templates and reads a job through its template", async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual(
      expect.arrayContaining(["media-jobs://jobs/{job_id}", "media-jobs://jobs/{job_id}/result"]),
    );
    const read = await client.readResource({ uri: `media-jobs://jobs/${encodeURIComponent(jobId)}` });
    const content = read.contents[0] as { mimeType?: string; text?: string };
    expect(content.mimeType).toBe("application/json");
    expect(JSON.parse(content.text ?? "{}")).toMatchObject({ job_id: jobId, provider: "local", task: "acoustic" });
  });

  it("gets a prompt with its argument filled in", async () => {
    const prompt = await client.getPrompt({ name: "acoustic_check", arguments: { recording: "https://example.org/talk.mp3" } });
    const text = (prompt.messages[0]?.content as { text?: string }).text ?? "";
    expect(text).toContain("https://example.org/talk.mp3");
    expect(text).toContain("start_job");
  });

  it("sends log notifications about the session's jobs at the level the client set", async () => {
    await callTool(client, "get_job", { job_id: jobId, wait_seconds: 20 });
    const deadline = Date.now() + 20_000;
    while (!logs.some((log) => JSON.stringify(log.data).includes(jobId)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const aboutJob = logs.filter((log) => JSON.stringify(log.data).includes(jobId));
    expect(aboutJob.length).toBeGreaterThan(0);
    expect(aboutJob.every((log) => ["info", "notice", "warning", "error"].includes(log.level))).toBe(true);
  });
});
