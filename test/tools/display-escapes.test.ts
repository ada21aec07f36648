// Control and bidi characters in what we echo: a file name or label carrying ESC or U+202E
// must reach the model escaped, in every tool's text, never raw. Property over every such
// code point, through start_job, get_job, list_jobs and get_predictions of real local jobs.

import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { escapeForDisplay } from "../../src/condense/format.js";
import { createLocalAdapter } from "../../src/providers/local/local-adapter.js";
import { testAdapterDeps } from "../support/adapter-deps.js";
import { startInMemoryApp, textOf, type InMemoryApp } from "../support/in-memory-app.js";
import { sine, tempDir, writeWav } from "../providers/local/signals.js";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);
/** C0 (NUL cannot be in a file name), DEL, C1, and the bidi controls. */
const CODE_POINTS = [...range(0x01, 0x1f), 0x7f, ...range(0x80, 0x9f), 0x061c, 0x200e, 0x200f, ...range(0x202a, 0x202e), ...range(0x2066, 0x2069)];
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const hex = (codePoint: number) => `\\u${codePoint.toString(16).padStart(4, "0")}`;

let running: InMemoryApp;
const directory = tempDir("mjm-escapes-");

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await running.client.callTool({ name, arguments: args })) as CallToolResult;
}

/** No raw unsafe character anywhere a model reads: text and structured content. */
function expectNothingRaw(result: CallToolResult, where: string) {
  const text = textOf(result);
  const raw = UNSAFE.exec(text);
  expect(raw, `${where}: raw U+${raw?.[0].charCodeAt(0).toString(16)} in text`).toBeNull();
  // Lines are ours: none starts inside an echoed value.
  expect(JSON.stringify(result.structuredContent ?? {})).not.toMatch(/[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u);
}

beforeAll(async () => {
  running = await startInMemoryApp([createLocalAdapter(testAdapterDeps({}), { maxConcurrent: 2 })], { env: { MEDIA_JOBS_ALLOWED_DIRS: directory } });
});
afterAll(async () => {
  await running?.close();
  fs.rmSync(directory, { recursive: true, force: true });
});

describe("escaping control and bidi characters in everything we echo", () => {
  it("escapes each character visibly and keeps the text's own line breaks", () => {
    for (const codePoint of [0, ...CODE_POINTS]) {
      const value = `a${String.fromCharCode(codePoint)}b`;
      expect(escapeForDisplay(value)).toBe(`a${hex(codePoint)}b`);
    }
    expect(escapeForDisplay("line 1\nline 2", { keepNewlines: true })).toBe("line 1\nline 2");
    expect(escapeForDisplay("الأسعار ارتفعت — ok")).toBe("الأسعار ارتفعت — ok");
  });

  it("start_job, get_job, list_jobs and get_predictions never show one raw, for every code point", async () => {
    const groups: number[][] = [];
    for (let start = 0; start < CODE_POINTS.length; start += 5) groups.push(CODE_POINTS.slice(start, start + 5));
    const tone = sine(0.4, 8_000, 200, 0.3);
    const jobIds: string[] = [];
    for (const [group, codePoints] of groups.entries()) {
      const media = codePoints.map((codePoint) => {
        const name = `take${String.fromCharCode(codePoint)}${codePoint.toString(16)}.wav`;
        writeWav(directory, name, [tone], 8_000);
        return { path: path.join(directory, name) };
      });
      const label = `group ${group} ${codePoints.map((codePoint) => String.fromCharCode(codePoint)).join("|")} end`;
      const started = await call("start_job", { provider: "local", media, label, wait_seconds: 30 });
      expect(started.isError, textOf(started)).toBeFalsy();
      expectNothingRaw(started, `start_job group ${group}`);
      const text = textOf(started);
      for (const codePoint of codePoints) {
        // Visible in the label line and in the file names, escaped.
        expect(text).toContain(hex(codePoint));
        expect(text).toContain(`take${hex(codePoint)}${codePoint.toString(16)}.wav`);
      }
      // One line per field: an echoed newline or CR did not start a line of its own.
      expect(text.split("\n").filter((line) => line.startsWith("label: "))).toHaveLength(1);
      jobIds.push((started.structuredContent as { job: { job_id: string } }).job.job_id);
    }
    for (const jobId of jobIds) {
      const job = await call("get_job", { job_id: jobId, wait_seconds: 30 });
      expectNothingRaw(job, `get_job ${jobId}`);
      expect((job.structuredContent as { job: { status: string } }).job.status).toBe("succeeded");
      const predictions = await call("get_predictions", { job_id: jobId, max_tokens: 8_000 });
      expect(predictions.isError, textOf(predictions)).toBeFalsy();
      expectNothingRaw(predictions, `get_predictions ${jobId}`);
    }
    const listed = await call("list_jobs", { limit: 50 });
    expectNothingRaw(listed, "list_jobs");
    for (const codePoint of CODE_POINTS) expect(textOf(listed)).toContain(hex(codePoint));
    // The job resource is JSON: the same label once parsed, never raw on the wire.
    for (const [group, jobId] of jobIds.entries()) {
      const resource = await running.client.readResource({ uri: `media-jobs://jobs/${jobId}` });
      const text = (resource.contents[0] as { text: string }).text;
      expect(text).not.toMatch(/[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u);
      expect((JSON.parse(text) as { label: string }).label).toBe(`group ${group} ${groups[group]!.map((codePoint) => String.fromCharCode(codePoint)).join("|")} end`);
    }
  }, 120_000);

  it("an error that quotes a value escapes it too", async () => {
    const answer = await call("get_job", { job_id: "local:\u001b[31mred\u202e" });
    expect(answer.isError).toBe(true);
    expectNothingRaw(answer, "get_job error");
  });
});
