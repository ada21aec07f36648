// Every schema we list (each tool's input and output) must be taken as is by the function
// calling of OpenAI (non-strict and strict keyword subset), Anthropic and Gemini: frameworks
// pass MCP schemas through (LangChain hands them to Gemini unchanged but for
// additionalProperties; the AI SDK strips what OpenAI lacks with a warning on every step).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { ScriptedAdapter } from "../support/scripted-adapter.js";
import { startInMemoryApp, type InMemoryApp } from "../support/in-memory-app.js";
import { checkAnthropic, checkGemini, checkOpenAI } from "./provider-schema-subsets.js";

let running: InMemoryApp;
let tools: Tool[];
/** What an HTTP session lists: create_upload too, and start_job's media items take {upload}. */
let httpTools: Tool[];
beforeAll(async () => {
  running = await startInMemoryApp([new ScriptedAdapter()]);
  tools = (await running.client.listTools()).tools;
  const overHttp = await startInMemoryApp([new ScriptedAdapter()], { transport: "http" });
  httpTools = (await overHttp.client.listTools()).tools;
  await overHttp.close();
});
afterAll(() => running.close());

const CHECKERS: Record<string, (schema: Record<string, unknown>) => string[]> = {
  "OpenAI": (schema) => checkOpenAI(schema, { strict: false }),
  "OpenAI strict (keywords)": (schema) => checkOpenAI(schema, { strict: false }).filter((problem) => !problem.includes("strict mode")),
  "Anthropic": checkAnthropic,
  "Gemini": checkGemini,
};

describe("tool schemas against the vendors' documented subsets", () => {
  it("the checkers refuse what the vendors refuse", () => {
    const record = { type: "object", properties: { options: { type: "object", propertyNames: { type: "string" }, additionalProperties: {} } } };
    expect(checkGemini(record).join("\n")).toMatch(/propertyNames[\s\S]*additionalProperties[\s\S]*non-empty for OBJECT/);
    expect(checkOpenAI(record, { strict: false }).join("\n")).toMatch(/propertyNames/);
    const nullable = { type: "object", properties: { cursor: { type: ["string", "null"] } } };
    expect(checkGemini(nullable)).not.toEqual([]);
    expect(checkOpenAI(nullable, { strict: false })).not.toEqual([]);
    const referenced = { type: "object", properties: { a: { $ref: "#/$defs/a" } }, $defs: { a: { type: "string" } } };
    expect(checkGemini(referenced).join("\n")).toMatch(/\$ref/);
    expect(checkAnthropic({ anyOf: [{ type: "object" }] })).not.toEqual([]);
    expect(checkOpenAI({ type: "object", properties: { a: { type: "string", minLength: 1 } } }, { strict: false }).join("\n")).toMatch(/minLength/);
    const loose = { type: "object", properties: { a: { type: "string" } } };
    expect(checkOpenAI(loose, { strict: true }).join("\n")).toMatch(/additionalProperties: false[\s\S]*"a" in required/);
    for (const check of Object.values(CHECKERS)) expect(check(loose)).toEqual([]);
  });

  it("every input and output schema of every tool is accepted as is by each vendor", () => {
    expect(tools.length).toBe(7);
    expect(httpTools.length).toBe(8);
    const problems: string[] = [];
    for (const tool of [...tools, ...httpTools]) {
      const schemas = { input: tool.inputSchema, output: tool.outputSchema } as Record<string, Record<string, unknown> | undefined>;
      for (const [kind, schema] of Object.entries(schemas)) {
        if (!schema) continue;
        for (const [vendor, check] of Object.entries(CHECKERS)) {
          for (const problem of check(schema)) problems.push(`${tool.name} ${kind} (${vendor}): ${problem}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("still refuses unknown fields and over-long values at the edge, though the listed schemas leave those keywords out", async () => {
    const unknown = await running.client.callTool({ name: "get_job", arguments: { job_id: "local:x", colour: "red" } });
    expect(unknown.isError).toBe(true);
    expect(JSON.stringify(unknown.content)).toMatch(/unknown field\(s\) colour/);
    const long = await running.client.callTool({ name: "get_job", arguments: { job_id: "x".repeat(301) } });
    expect(long.isError).toBe(true);
  });

  it("takes start_job options as a JSON object or as its JSON text, and says what is wrong with anything else", async () => {
    for (const options of [{ rows: 1 }, '{"rows":1}']) {
      const result = await running.client.callTool({ name: "start_job", arguments: { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }], options } });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    }
    for (const options of ["[1]", "not json", 3]) {
      const result = await running.client.callTool({ name: "start_job", arguments: { provider: "pyannote", media: [{ url: "https://x.test/a.wav" }], options } });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toMatch(/options/);
    }
  });
});
