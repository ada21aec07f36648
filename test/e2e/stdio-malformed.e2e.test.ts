// Every request with an id gets an answer over stdio, however it is malformed, and the server
// goes on serving: a generated set of broken requests (params of every wrong type, bad
// progress tokens, wrong jsonrpc, batches, extra members, deep nesting, oversized lines) runs
// against the built CLI, each answered with its JSON-RPC error code.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { seededRandom } from "../../src/bench/seeded-random.js";
import { CLI, ROOT, assertBuilt, childEnv, tempDataDir } from "./harness.js";

const dataDir = tempDataDir();
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

interface Reply {
  id?: string | number | null;
  result?: unknown;
  error?: { code: number; message: string };
}

interface Case {
  line: string;
  id: number | string | null;
  /** Acceptable error codes; "result" for a request that must be served normally. */
  expect: number[] | "result";
  label: string;
}

const BASES: Array<{ method: string; params?: Record<string, unknown> }> = [
  { method: "ping" },
  { method: "tools/list" },
  { method: "prompts/list" },
  { method: "resources/list" },
  { method: "tools/call", params: { name: "get_job", arguments: { job_id: "local:x" } } },
];
const NOT_OBJECTS: unknown[] = [[], [1, 2], "text", 7, true, null];
const BAD_TOKENS: unknown[] = [{}, [], true, 1.5, null, { a: 1 }];

/** JSON text nested `depth` objects deep (JSON.stringify itself overflows on such a value). */
function nestedJson(depth: number): string {
  return '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** The malformed set: every base crossed with every mutation, plus fixed raw lines. */
function generateCases(): Case[] {
  const random = seededRandom(10_6);
  const cases: Case[] = [];
  let nextId = 1_000;
  const push = (message: Record<string, unknown>, expected: number[] | "result", label: string) => {
    const id = random() < 0.5 ? nextId++ : `s-${nextId++}`;
    cases.push({ line: JSON.stringify({ jsonrpc: "2.0", id, ...message }), id, expect: expected, label });
  };
  for (const base of BASES) {
    for (const params of NOT_OBJECTS) push({ method: base.method, params }, [-32602], `${base.method} params=${JSON.stringify(params)}`);
    for (const token of BAD_TOKENS) {
      push({ method: base.method, params: { ...base.params, _meta: { progressToken: token } } }, [-32602], `${base.method} progressToken=${JSON.stringify(token)}`);
    }
    for (const meta of NOT_OBJECTS) push({ method: base.method, params: { ...base.params, _meta: meta } }, [-32602], `${base.method} _meta=${JSON.stringify(meta)}`);
    push({ method: base.method, params: base.params, extra: 1 }, [-32600], `${base.method} extra member`);
  }
  for (const params of NOT_OBJECTS) push({ method: "nope", params }, [-32601, -32602], `unknown method params=${JSON.stringify(params)}`);
  push({ method: "nope", params: {} }, [-32601], "unknown method");
  push({ method: "tools/call", params: { name: 5 } }, [-32602], "tools/call name not a string");
  const deepId = nextId++;
  cases.push({
    line: `{"jsonrpc":"2.0","id":${deepId},"method":"tools/call","params":{"name":"start_job","arguments":{"provider":"local","media":[{"path":"a.wav"}],"options":${nestedJson(100_000)}}}}`,
    id: deepId,
    expect: [-32602],
    label: "options nested 100,000 deep",
  });
  push({ method: "initialize", params: { capabilities: "none" } }, [-32602], "initialize without its params");

  // Raw lines whose id must still be found.
  cases.push({ line: JSON.stringify({ jsonrpc: "1.0", id: 50, method: "ping" }), id: 50, expect: [-32600], label: "jsonrpc 1.0" });
  cases.push({ line: JSON.stringify({ jsonrpc: 2, id: 51, method: "ping" }), id: 51, expect: [-32600], label: "jsonrpc as a number" });
  cases.push({ line: JSON.stringify({ id: 52, method: "ping" }), id: 52, expect: [-32600], label: "jsonrpc missing" });
  cases.push({ line: JSON.stringify({ jsonrpc: "2.0", id: 53, method: 7 }), id: 53, expect: [-32600], label: "method a number" });
  cases.push({ line: JSON.stringify([{ jsonrpc: "2.0", id: 54, method: "ping" }]), id: 54, expect: [-32600], label: "batch of one" });
  cases.push({ line: JSON.stringify([{ jsonrpc: "2.0", id: 55, method: "ping" }, { jsonrpc: "2.0", id: 56, method: "tools/list" }]), id: 56, expect: [-32600], label: "batch of two" });
  cases.push({ line: "\uFEFF" + JSON.stringify({ jsonrpc: "2.0", id: 57, method: "ping" }), id: 57, expect: "result", label: "BOM-prefixed ping" });
  cases.push({ line: JSON.stringify({ jsonrpc: "2.0", id: 58, method: "ping" }) + "\r", id: 58, expect: "result", label: "CRLF line" });
  // 10 MB: get_job with a job_id of escaped NULs (the reported reproduction).
  cases.push({
    line: JSON.stringify({ jsonrpc: "2.0", id: 59, method: "tools/call", params: { name: "get_job", arguments: { job_id: "\u0000".repeat(1_700_000) } } }),
    id: 59,
    expect: [-32600],
    label: "10 MB line",
  });
  // A start_job with 10,000 HumanStandard items inline (~1 MB of them here, padded past the limit).
  const items = Array.from({ length: 10_000 }, (_, index) => ({ id: `track-${index}`, url: `https://cdn.example.com/catalog/${"x".repeat(380)}/track-${index}.mp3` }));
  cases.push({
    line: JSON.stringify({ jsonrpc: "2.0", id: 61, method: "tools/call", params: { name: "start_job", arguments: { provider: "humanstandard", media: items } } }),
    id: 61,
    expect: [-32600],
    label: "10,000-item catalog",
  });
  return cases;
}

function startRaw(): { child: ChildProcessWithoutNullStreams; replies: () => Reply[]; stderr: () => string; waitFor: (count: (replies: Reply[]) => boolean, what: string) => Promise<void> } {
  const child = spawn(process.execPath, [CLI], { env: childEnv({ MEDIA_JOBS_DATA_DIR: dataDir }), cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const replies = () => stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Reply);
  const waitFor = async (done: (replies: Reply[]) => boolean, what: string) => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (done(replies())) return;
      if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) waiting for ${what}; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`timed out waiting for ${what}; stderr: ${stderr.slice(-2_000)}`);
  };
  return { child, replies, stderr: () => stderr, waitFor };
}

describe("malformed protocol messages over stdio", () => {
  it("answers every malformed request that has an id with its JSON-RPC error, and keeps serving", async () => {
    assertBuilt();
    const server = startRaw();
    const send = (line: string) => server.child.stdin.write(line + "\n");
    send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }));
    await server.waitFor((replies) => replies.some((reply) => reply.id === 1), "initialize");
    send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));

    const cases = generateCases();
    expect(cases.length).toBeGreaterThan(100);
    for (const testCase of cases) send(testCase.line);
    // Unidentifiable input gets the JSON-RPC answer with a null id.
    send('{"jsonrpc":"2.0","id":60,"method":"ping"');
    send("[]");
    send('{"foo":"boo"}');
    // A malformed notification (no id) gets no answer and breaks nothing.
    send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: [] }));
    send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "list_providers", arguments: { provider: "local" } } }));

    const ids = cases.map((testCase) => testCase.id);
    await server.waitFor((replies) => ids.every((id) => replies.some((reply) => reply.id === id)) && replies.some((reply) => reply.id === 2), "every answer");
    const replies = server.replies();
    for (const testCase of cases) {
      const reply = replies.find((candidate) => candidate.id === testCase.id)!;
      if (testCase.expect === "result") expect(reply.result, testCase.label).toBeDefined();
      else expect(testCase.expect, `${testCase.label}: ${JSON.stringify(reply.error)}`).toContain(reply.error?.code);
    }
    const oversized = replies.find((reply) => reply.id === 59)!;
    expect(oversized.error?.message).toContain("4 MiB");
    const catalog = replies.find((reply) => reply.id === 61)!;
    expect(catalog.error?.code).toBe(-32600);
    expect(catalog.error?.message).toContain("options.manifest_url");
    const deep = replies.find((reply) => reply.error?.message.includes("nests deeper"));
    expect(deep).toBeDefined();
    // The batch of two answers both ids.
    expect(replies.find((reply) => reply.id === 55)?.error?.code).toBe(-32600);
    // Three lines without a usable id: parse error, empty batch, not a request.
    await server.waitFor((all) => all.filter((reply) => reply.id === null).length >= 3, "null-id answers");
    const nullIdCodes = server.replies().filter((reply) => reply.id === null).map((reply) => reply.error?.code).sort();
    expect(nullIdCodes).toEqual([-32700, -32600, -32600].sort());

    // Still serving: a real tool call after all of that.
    const served = replies.find((reply) => reply.id === 2) as { result?: { content?: Array<{ text: string }> } };
    expect(served.result?.content?.[0]?.text).toMatch(/local/i);
    expect(server.child.exitCode).toBeNull();
    server.child.stdin.end();
    await new Promise((resolve) => server.child.once("exit", resolve));
  });
});
