// The built server (dist/cli.js) driven by the MCP clients agent builders use, with their
// default options: the Vercel AI SDK's MCP client over stdio and Streamable HTTP (no uncaught
// errors or warnings), and LangChain's MCP adapters, whose tool results and tool schemas go
// through the OpenAI, Anthropic and Gemini chat classes' request conversion against a loopback
// stand-in for each vendor's API. `npm test` builds first; run `npm run build` before this file.

import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createMCPClient, type MCPClient } from "@ai-sdk/mcp";
import { StdioMCPTransport } from "@ai-sdk/mcp/mcp-stdio";
import { MultiServerMCPClient } from "@langchain/mcp-adapters";
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { ChatAnthropic } from "@langchain/anthropic";
import { ChatGoogleGenerativeAI } from "@langchain/google-genai";
import { CLI, ROOT, assertBuilt, childEnv, startHttp, tempDataDir, type HttpChild } from "../e2e/harness.js";
import { checkAnthropic, checkGemini, checkOpenAI } from "./provider-schema-subsets.js";
import { CANNED_REPLY, startStubChatApi, type StubChatApi } from "./stub-chat-api.js";

const SAMPLE = path.join(ROOT, "assets", "sample", "sample.ogg");
const TOOL_NAMES = ["cancel_job", "delete_voiceprint", "get_job", "get_predictions", "list_jobs", "list_providers", "start_job"];
/** Over HTTP a remote user's files come through create_upload. */
const HTTP_TOOL_NAMES = [...TOOL_NAMES, "create_upload"].sort();

const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function serverEnv(): Record<string, string> {
  const dataDir = tempDataDir();
  dataDirs.push(dataDir);
  // No vendor keys: the local analyzer runs; the rest are listed as not configured.
  return { MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_ALLOWED_DIRS: path.dirname(SAMPLE), MEDIA_JOBS_LOG_LEVEL: "warning" };
}

/** Console warnings and errors a client library prints count as failures too. */
let consoleNoise: string[] = [];
beforeEach(() => {
  consoleNoise = [];
  for (const method of ["warn", "error"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleNoise.push(`console.${method}: ${args.map(String).join(" ")}`));
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

interface AiSdkResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
}

/** list tools, then list_providers → start_job (local, sample.ogg) → get_job → get_predictions through the AI SDK's tools. */
async function aiSdkFlow(client: MCPClient, toolNames = TOOL_NAMES): Promise<void> {
  const listed = await client.listTools();
  expect(listed.tools.map((tool) => tool.name).sort()).toEqual(toolNames);
  const tools = await client.tools();
  expect(Object.keys(tools).sort()).toEqual(toolNames);
  const run = async (name: string, args: Record<string, unknown>): Promise<AiSdkResult> => {
    const result = (await tools[name]!.execute!(args, { toolCallId: `call-${name}`, messages: [], context: {} })) as AiSdkResult;
    expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy();
    return result;
  };
  const providers = await run("list_providers", {});
  expect(providers.content[0]!.text).toMatch(/local/);
  const started = await run("start_job", { provider: "local", task: "acoustic", media: [{ path: SAMPLE }], wait_seconds: 30 });
  const jobId = (started.structuredContent!.job as { job_id: string }).job_id;
  let job = (await run("get_job", { job_id: jobId, wait_seconds: 30 })).structuredContent!.job as { status: string; results: string };
  for (let attempt = 0; attempt < 5 && job.results === "pending"; attempt++) {
    job = (await run("get_job", { job_id: jobId, wait_seconds: 10 })).structuredContent!.job as { status: string; results: string };
  }
  expect(job).toMatchObject({ status: "succeeded", results: "stored" });
  const predictions = await run("get_predictions", { job_id: jobId });
  expect(predictions.content.map((item) => item.type)).toEqual(["text"]);
  expect(predictions.content[0]!.text).toContain(`media-jobs://jobs/${jobId}/result`);
}

describe("Vercel AI SDK MCP client (@ai-sdk/mcp)", () => {
  it("over stdio: lists tools and runs a local job to its predictions with no uncaught error", async () => {
    assertBuilt();
    const uncaught: unknown[] = [];
    const client = await createMCPClient({
      transport: new StdioMCPTransport({ command: process.execPath, args: [CLI], env: childEnv(serverEnv()), stderr: "ignore", cwd: ROOT }),
      onUncaughtError: (error) => void uncaught.push(error),
    });
    try {
      await aiSdkFlow(client);
    } finally {
      await client.close();
    }
    expect(uncaught.map(String)).toEqual([]);
    expect(consoleNoise).toEqual([]);
  });

  it("over Streamable HTTP: connects without a failed probe, runs the same flow with no uncaught error", async () => {
    const server: HttpChild = await startHttp(serverEnv());
    const uncaught: unknown[] = [];
    try {
      const client = await createMCPClient({ transport: { type: "http", url: server.url }, onUncaughtError: (error) => void uncaught.push(error) });
      try {
        await aiSdkFlow(client, HTTP_TOOL_NAMES);
      } finally {
        await client.close();
      }
    } finally {
      await server.close();
    }
    expect(uncaught.map(String)).toEqual([]);
    expect(consoleNoise).toEqual([]);
  });
});

describe("LangChain MCP adapters (@langchain/mcp-adapters, default options) with the chat classes", () => {
  let stub: StubChatApi;
  let client: MultiServerMCPClient;
  let tools: StructuredToolInterface[];
  let conversation: BaseMessage[];
  let predictionsText: string;

  beforeAll(async () => {
    assertBuilt();
    stub = await startStubChatApi();
    client = new MultiServerMCPClient({
      mcpServers: { media: { transport: "stdio", command: process.execPath, args: [CLI], env: childEnv(serverEnv()), stderr: "ignore", cwd: ROOT } },
    });
    tools = await client.getTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(TOOL_NAMES);
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    // Each call goes through the adapter's result conversion into a ToolMessage, as an agent's
    // tool node would run it.
    const calls: Array<{ id: string; name: string; args: Record<string, unknown> }> = [];
    const messages: ToolMessage[] = [];
    const call = async (name: string, args: Record<string, unknown>): Promise<ToolMessage> => {
      const id = `call_${calls.length + 1}`;
      calls.push({ id, name, args });
      const message = (await byName.get(name)!.invoke({ type: "tool_call", id, name, args })) as ToolMessage;
      expect(message).toBeInstanceOf(ToolMessage);
      messages.push(message);
      return message;
    };
    await call("list_providers", {});
    const started = await call("start_job", { provider: "local", task: "acoustic", media: [{ path: SAMPLE }], wait_seconds: 30 });
    const jobId = /local:[\w-]+/.exec(JSON.stringify(started.content))![0];
    await call("get_job", { job_id: jobId, wait_seconds: 30 });
    const predictions = await call("get_predictions", { job_id: jobId });
    predictionsText = JSON.stringify(predictions.content);
    expect(predictionsText).toContain(`media-jobs://jobs/${jobId}/result`);
    conversation = [new HumanMessage("Analyse sample.ogg offline and summarise it."), new AIMessage({ content: "", tool_calls: calls.map((entry) => ({ ...entry, type: "tool_call" as const })) }), ...messages];
  });

  afterAll(async () => {
    await client?.close();
    await stub?.close();
  });

  const vendorChecks = {
    openai: (schema: Record<string, unknown>) => checkOpenAI(schema, { strict: false }),
    anthropic: checkAnthropic,
    google: checkGemini,
  };

  async function converse(vendor: "openai" | "anthropic" | "google") {
    const model =
      vendor === "openai"
        ? new ChatOpenAI({ model: "gpt-4o-mini", apiKey: "sk-stub", configuration: { baseURL: `${stub.url}/openai` }, maxRetries: 0 })
        : vendor === "anthropic"
          ? new ChatAnthropic({ model: "claude-sonnet-4-5", apiKey: "sk-ant-stub", anthropicApiUrl: `${stub.url}/anthropic`, maxRetries: 0 })
          : new ChatGoogleGenerativeAI({ model: "gemini-2.5-flash", apiKey: "stub-key", baseUrl: `${stub.url}/google`, maxRetries: 0 });
    const reply = await model.bindTools(tools).invoke(conversation);
    expect(reply.content).toBe(CANNED_REPLY);
    const sent = stub.requests.filter((request) => request.vendor === vendor);
    expect(sent).toHaveLength(1);
    expect(stub.unexpected).toEqual([]);
    return sent[0]!.body;
  }

  function expectSchemasAccepted(vendor: keyof typeof vendorChecks, declarations: Array<{ name: string; schema: Record<string, unknown> }>) {
    expect(declarations.map((declaration) => declaration.name).sort()).toEqual(TOOL_NAMES);
    const problems = declarations.flatMap((declaration) => vendorChecks[vendor](declaration.schema).map((problem) => `${declaration.name}: ${problem}`));
    expect(problems).toEqual([]);
  }

  it("ChatOpenAI converts every tool result and binds every tool schema", async () => {
    const body = (await converse("openai")) as { messages: Array<{ role: string; content: unknown }>; tools: Array<{ function: { name: string; parameters: Record<string, unknown> } }> };
    const toolMessages = body.messages.filter((message) => message.role === "tool");
    expect(toolMessages).toHaveLength(4);
    expect(JSON.stringify(toolMessages.at(-1)!.content)).toContain("media-jobs://jobs/");
    expectSchemasAccepted("openai", body.tools.map((tool) => ({ name: tool.function.name, schema: tool.function.parameters })));
    expect(consoleNoise).toEqual([]);
  });

  it("ChatAnthropic converts every tool result and binds every tool schema", async () => {
    const body = (await converse("anthropic")) as { messages: Array<{ role: string; content: Array<{ type: string }> }>; tools: Array<{ name: string; input_schema: Record<string, unknown> }> };
    const results = body.messages.flatMap((message) => (Array.isArray(message.content) ? message.content : [])).filter((block) => block.type === "tool_result");
    expect(results).toHaveLength(4);
    expect(JSON.stringify(results.at(-1))).toContain("media-jobs://jobs/");
    expectSchemasAccepted("anthropic", body.tools.map((tool) => ({ name: tool.name, schema: tool.input_schema })));
    expect(consoleNoise).toEqual([]);
  });

  it("ChatGoogleGenerativeAI converts every tool result and binds every tool schema", async () => {
    const body = (await converse("google")) as {
      contents: Array<{ parts: Array<{ functionResponse?: unknown }> }>;
      tools: Array<{ functionDeclarations: Array<{ name: string; parameters: Record<string, unknown> }> }>;
    };
    const responses = body.contents.flatMap((content) => content.parts).filter((part) => part.functionResponse !== undefined);
    expect(responses).toHaveLength(4);
    expect(JSON.stringify(responses.at(-1))).toContain("media-jobs://jobs/");
    expectSchemasAccepted("google", body.tools.flatMap((tool) => tool.functionDeclarations).map((declaration) => ({ name: declaration.name, schema: declaration.parameters })));
    expect(consoleNoise).toEqual([]);
  });
});
