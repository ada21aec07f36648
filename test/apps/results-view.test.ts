// Issue 14's "done when": the results view (MCP App) in real headless Chromium. A minimal host
// page on loopback speaks the Apps postMessage protocol through the package's AppBridge and
// relays the view's tool calls to the real server (buildServer over an in-memory transport).
// For a finished local job and a finished pyannoteAI job (loopback fake) the view draws one mark
// per stored speech segment / speaker turn, at the stored times, and the page requests nothing
// outside the host. Screenshots land in test-artifacts/ (ignored by git).

import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { build } from "esbuild";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { EXTENSION_ID, RESOURCE_MIME_TYPE, RESULTS_VIEW_URI } from "../../src/apps/results-view.js";
import { loadConfig } from "../../src/config.js";
import { createDefaultApp } from "../../src/default-app.js";
import { createLogger } from "../../src/logger.js";
import type { LocalIndex } from "../../src/providers/local/local-report.js";
import type { PyannoteIndex } from "../../src/providers/pyannote/pyannote-condense.js";
import { buildServer } from "../../src/server.js";
import { decodeFloat64, type HumeIndex } from "../../src/providers/hume/hume-index.js";
import type { HamsaTranscriptIndex } from "../../src/providers/hamsa/hamsa-condense.js";
import type { ProvenanceIndex } from "../../src/providers/humanstandard/humanstandard-results-index.js";
import { startPyannoteFake, type PyannoteFake } from "../fakes/pyannote-fake.js";
import { storedFixtures } from "../support/prediction-fixtures.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = path.join(ROOT, "test-artifacts");
const SAMPLE = path.join(ROOT, "assets/sample/sample.ogg");
/** Set to a directory to also write the README's screenshots there. */
const README_SHOTS = process.env.MEDIA_JOBS_README_SCREENSHOTS;

let fake: PyannoteFake;
let app: App;
let client: Client;
let closeServer: () => void;
let dataDir: string;
let hostServer: http.Server;
let hostOrigin: string;
let browser: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  // Fails (not skips) without Chromium: .ci/run installs Debian's package.
  expect(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing; install Debian's chromium package (bash .ci/run does)`).toBe(true);
  fake = await startPyannoteFake({ createdPolls: 1, runningPolls: 1, speakers: 3, segments: 40 });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-apps-"));
  const config = loadConfig({
    MEDIA_JOBS_DATA_DIR: dataDir,
    MEDIA_JOBS_ALLOWED_DIRS: path.dirname(SAMPLE),
    MEDIA_JOBS_POLL_INITIAL_MS: "20",
    MEDIA_JOBS_POLL_MAX_MS: "100",
    PYANNOTEAI_API_KEY: fake.apiKey,
    PYANNOTEAI_BASE_URL: fake.baseUrl,
  });
  app = await createDefaultApp(config, { logger: createLogger({ level: "error", secrets: [fake.apiKey], write: () => undefined }) });
  app.poller.start();
  const built = buildServer(app, { transport: "stdio" });
  closeServer = built.close;
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await built.server.connect(serverTransport);
  // A client that renders MCP Apps declares the extension; the server then lists the app-only tool.
  client = new Client(
    { name: "apps-test-host", version: "1.0.0" },
    { capabilities: { extensions: { "io.modelcontextprotocol/ui": { mimeTypes: ["text/html;profile=mcp-app"] } } } as never },
  );
  await client.connect(clientTransport);

  const hostScript = await build({
    entryPoints: [path.join(ROOT, "test/apps/host/host.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
  });
  hostServer = http.createServer((request, response) => {
    if (request.url === "/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(`<!doctype html><html><head><meta charset="utf-8"><title>test host</title></head><body style="margin:0"><script src="/host.js"></script></body></html>`);
    } else if (request.url === "/host.js") {
      response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
      response.end(hostScript.outputFiles[0]!.text);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => hostServer.listen(0, "127.0.0.1", resolve));
  hostOrigin = `http://127.0.0.1:${(hostServer.address() as AddressInfo).port}`;

  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-chromium-"));
  // A fresh profile per run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 980, height: 920 },
  });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await client?.close();
  closeServer?.();
  await app?.close();
  await fake?.close();
  await new Promise((resolve) => hostServer?.close(resolve));
  for (const dir of [dataDir, userDataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

async function finishedJob(args: Record<string, unknown>): Promise<string> {
  const started = await call("start_job", args);
  expect(started.isError, JSON.stringify(started.content)).toBeFalsy();
  const jobId = (started.structuredContent as { job: { job_id: string } }).job.job_id;
  for (let attempt = 0; attempt < 10; attempt++) {
    const waited = await call("get_job", { job_id: jobId, wait_seconds: 10 });
    const job = (waited.structuredContent as { job: { status: string; results: string } }).job;
    if (job.status === "succeeded" && job.results === "stored") return jobId;
    expect(["queued", "running", "succeeded"]).toContain(job.status);
  }
  throw new Error(`job ${jobId} did not finish`);
}

interface OpenedView {
  page: Page;
  frame: ReturnType<Page["frameLocator"]>;
  requests: string[];
}

/** Opens the view as a host would after the model called get_predictions for the job. */
async function openView(jobId: string, theme: "light" | "dark"): Promise<OpenedView> {
  const { tools } = await client.listTools();
  const getPredictions = tools.find((tool) => tool.name === "get_predictions")!;
  expect(getPredictions._meta?.ui).toEqual({ resourceUri: RESULTS_VIEW_URI });
  const resource = await client.readResource({ uri: RESULTS_VIEW_URI });
  const content = resource.contents[0] as { mimeType: string; text: string };
  expect(content.mimeType).toBe("text/html;profile=mcp-app");
  const args = { job_id: jobId };
  const result = await call("get_predictions", args);

  const page = await browser.newPage();
  const requests: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.exposeFunction("mcpCallTool", (params: { name: string; arguments?: Record<string, unknown> }) => call(params.name, params.arguments ?? {}));
  await page.goto(hostOrigin + "/");
  await page.evaluate(
    (request) => (globalThis as unknown as { openView(request: unknown): Promise<void> }).openView(request),
    { html: content.text, theme, tool: { name: getPredictions.name, inputSchema: getPredictions.inputSchema }, arguments: args, result },
  );
  const frame = page.frameLocator("iframe");
  await frame.locator("body[data-ready]").waitFor({ timeout: 20_000 });
  expect(await frame.locator("body").getAttribute("data-ready")).toBe("true");
  expect(errors).toEqual([]);
  return { page, frame, requests };
}

function assertOnlyHostRequests(requests: string[]): void {
  expect(requests.length).toBeGreaterThan(0);
  const outside = requests.filter((url) => !url.startsWith(hostOrigin + "/") && !url.startsWith("about:") && !url.startsWith("data:"));
  expect(outside).toEqual([]);
}

async function marks(frame: OpenedView["frame"], selector: string): Promise<Array<{ start: number; end: number; speaker?: string }>> {
  return frame.locator(selector).evaluateAll((nodes) =>
    nodes.map((node) => ({
      start: Number(node.getAttribute("data-start")),
      end: Number(node.getAttribute("data-end")),
      ...(node.getAttribute("data-speaker") ? { speaker: node.getAttribute("data-speaker")! } : {}),
    })),
  );
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  // The view's own height (the host frame is taller), so README images have no empty band.
  const height = await page.frameLocator("iframe").locator("body").evaluate((body) => Math.ceil(body.scrollHeight));
  await page.screenshot({ path: file, clip: { x: 0, y: 0, width: 960, height: Math.min(height + 4, 900) } });
  expect(fs.statSync(file).size).toBeGreaterThan(5_000);
  if (README_SHOTS) fs.copyFileSync(file, path.join(path.resolve(ROOT, README_SHOTS), `${name}.png`));
}

describe("results view in headless Chromium", () => {
  it("draws a local job: one mark per stored speech segment, pauses between, loudness and F0 contours", async () => {
    const jobId = await finishedJob({ provider: "local", task: "acoustic", media: [{ path: SAMPLE }] });
    const index = (await app.store.getResultIndex(jobId))!.index as LocalIndex;
    const stored = index.files[0]!.segments;
    expect(stored.length).toBeGreaterThan(1);

    const { page, frame, requests } = await openView(jobId, "light");
    const drawn = await marks(frame, "rect.segment");
    expect(drawn).toEqual(stored.map((segment) => ({ start: segment.start, end: segment.end })));
    // Every gap between segments is a pause mark, ending where the next segment starts.
    const pauses = await marks(frame, "rect.pause");
    for (let i = 1; i < stored.length; i++) {
      if (stored[i]!.start > stored[i - 1]!.end) expect(pauses).toContainEqual({ start: stored[i - 1]!.end, end: stored[i]!.start });
    }
    await expect.poll(() => frame.locator("path.loudness").count()).toBe(1);
    expect((await frame.locator("path.f0").getAttribute("d"))?.length ?? 0).toBeGreaterThan(20);
    // Hover shows the exact figures.
    expect(await frame.locator("rect.segment title").first().textContent()).toMatch(/^speech .*\nlevel .* dBFS\nF0 median/);
    await screenshot(page, "local-acoustics");

    // Zoom on time: the second half holds only the segments that reach into it.
    await frame.locator('button[data-zoom="in"]').click();
    const zoomed = await marks(frame, "rect.segment");
    expect(zoomed.length).toBeLessThan(stored.length);
    assertOnlyHostRequests(requests);
    await page.close();
  });

  it("draws a pyannoteAI diarization: one mark per stored speaker turn in its speaker's lane, talk-time bars, dark theme", async () => {
    const jobId = await finishedJob({ provider: "pyannote", task: "diarize", media: [{ url: "https://media.example.com/standup.mp3" }] });
    const index = (await app.store.getResultIndex(jobId))!.index as PyannoteIndex;
    expect(index.segments.length).toBeGreaterThan(10);

    const { page, frame, requests } = await openView(jobId, "dark");
    const drawn = await marks(frame, "rect.turn");
    expect(drawn).toEqual(index.segments.map((segment) => ({ start: segment.start, end: segment.end, speaker: segment.speaker })));
    const speakers = new Set(index.segments.map((segment) => segment.speaker));
    expect(await frame.locator(".bars .bar").count()).toBe(speakers.size);
    expect(await frame.locator("html").getAttribute("data-theme")).toBe("dark");
    await screenshot(page, "pyannote-speakers");
    assertOnlyHostRequests(requests);
    await page.close();
  });

  it("draws stored Hume, Hamsa and HumanStandard results: emotion arcs with peaks, a searchable transcript that jumps to time, verdict and truth-score histograms", async () => {
    const stored = new Map<string, { id: string; index: unknown }>();
    for (const [position, fixture] of storedFixtures().entries()) {
      if (!["hume", "hamsa", "humanstandard"].includes(fixture.provider)) continue;
      const id = `${fixture.provider}:view-${position}`;
      await app.store.insertJob({
        id,
        provider: fixture.provider,
        nativeId: `view-${position}`,
        task: fixture.task,
        status: "succeeded",
        inputs: [{ kind: "url", url: "https://media.example/interview.mp3" }],
        options: {},
        createdAt: "2026-03-01T10:00:00Z",
        updatedAt: "2026-03-01T10:01:00Z",
        resultState: "stored",
        pollCount: 1,
      });
      await app.store.putResultIndex(id, fixture.index);
      stored.set(fixture.provider, { id, index: fixture.index });
    }

    // Hume: one hover mark per timed prosody/burst/language/face row, one peak per drawn expression.
    const hume = stored.get("hume")!;
    const humeIndex = hume.index as HumeIndex;
    let timedRows = 0;
    for (const file of humeIndex.files) {
      for (const group of [...(file.models.prosody ?? []), ...(file.models.burst ?? []), ...(file.models.language ?? [])]) {
        timedRows += [...decodeFloat64(group.begin)].filter((time) => Number.isFinite(time)).length;
      }
      for (const group of file.models.face ?? []) timedRows += group.count;
    }
    expect(timedRows).toBeGreaterThan(0);
    let opened = await openView(hume.id, "light");
    expect(await opened.frame.locator("rect.row").count()).toBe(timedRows);
    const arcs = await opened.frame.locator("path.arc").count();
    expect(arcs).toBeGreaterThan(0);
    expect(await opened.frame.locator("rect.peak").count()).toBe(arcs);
    await screenshot(opened.page, "hume-emotions");
    assertOnlyHostRequests(opened.requests);
    await opened.page.close();

    // Hamsa: one row per stored segment; search narrows to the segments holding the word; a time jumps.
    const hamsa = stored.get("hamsa")!;
    const segments = (hamsa.index as HamsaTranscriptIndex).segments;
    opened = await openView(hamsa.id, "light");
    expect(await opened.frame.locator("ol.transcript li").count()).toBe(segments.length);
    expect(await marks(opened.frame, "rect.utterance")).toEqual(segments.map((segment) => ({ start: segment.start, end: segment.end })));
    const word = segments[1]!.text.split(/\s+/).find((part) => part.length > 3)!;
    await opened.frame.locator("input.search").fill(word);
    const matching = segments.filter((segment) => segment.text.toLowerCase().includes(word.toLowerCase())).length;
    expect(matching).toBeLessThan(segments.length);
    expect(await opened.frame.locator("ol.transcript li:not([hidden])").count()).toBe(matching);
    await screenshot(opened.page, "hamsa-transcript");
    const before = await opened.frame.locator("#window").textContent();
    await opened.frame.locator("ol.transcript li:not([hidden]) button.time").first().click();
    expect(await opened.frame.locator("#window").textContent()).not.toBe(before);
    assertOnlyHostRequests(opened.requests);
    await opened.page.close();

    // HumanStandard: verdict bars carry the stored counts; the histogram holds every scored track.
    const provenance = stored.get("humanstandard")!;
    const provenanceIdx = provenance.index as ProvenanceIndex;
    opened = await openView(provenance.id, "dark");
    for (const [verdict, count] of Object.entries(provenanceIdx.verdicts)) {
      expect(await opened.frame.locator(`.bar[data-verdict="${verdict}"]`).getAttribute("data-count")).toBe(String(count));
    }
    const bins = await opened.frame.locator("rect.bin").evaluateAll((nodes) => nodes.map((node) => Number(node.getAttribute("data-count"))));
    expect(bins.reduce((sum, value) => sum + value, 0)).toBe(provenanceIdx.tracks.truth.filter((truth) => truth !== null).length);
    const ranked = await opened.frame.locator("tr.track").evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-truth")));
    expect(ranked).toEqual(provenanceIdx.tracks.truth.slice(0, 25).map((truth) => (truth === null ? "" : String(truth))));
    await screenshot(opened.page, "humanstandard-provenance");
    assertOnlyHostRequests(opened.requests);
    await opened.page.close();
  });

  it("lists the app-only tool and the view link only to clients that declare the Apps extension", async () => {
    const { tools } = await client.listTools();
    const appTool = tools.find((tool) => tool.name === "get_visual_data");
    expect(appTool?._meta?.ui).toMatchObject({ visibility: ["app"] });
    // A client without the extension sees the tools it saw before.
    const plain = new Client({ name: "plain", version: "1.0.0" });
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    const built = buildServer(app, { transport: "stdio" });
    await built.server.connect(serverTransport);
    await plain.connect(clientTransport);
    const plainTools = (await plain.listTools()).tools;
    // The server's copies of the extension's constants are the package's.
    const official = await import("@modelcontextprotocol/ext-apps/server");
    expect([EXTENSION_ID, RESOURCE_MIME_TYPE]).toEqual([official.EXTENSION_ID, official.RESOURCE_MIME_TYPE]);
    expect(plainTools.map((tool) => tool.name)).not.toContain("get_visual_data");
    expect(plainTools.find((tool) => tool.name === "get_predictions")!._meta?.ui).toBeUndefined();
    await plain.close();
    built.close();
  });
});
