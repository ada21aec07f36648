// Every configuration snippet in the README works as pasted: valid JSON, the command that
// `npm install -g` of the release tarball puts on PATH (test/runtime/release.test.ts runs it),
// only environment variables the server reads and the configuration table documents; and
// every example tool call passes the tool's own input schema.

import { describe, expect, it } from "vitest";
import { TOOLS } from "../../src/tools/index.js";
import { codeBlocks, configEnvNames, documentedEnvNames, PACKAGE, README, section, tableRows } from "./ship-docs.js";

interface ServerEntry {
  type?: string;
  command: string;
  args?: string[];
  env?: Record<string, string>;
}

const VENDOR_KEYS = ["HUME_API_KEY", "PYANNOTEAI_API_KEY", "HAMSA_API_KEY", "HUMANSTANDARD_API_KEY"];

function expectRunsThePackage(entry: ServerEntry, where: string): void {
  // The installed bin, not `npx -y`: the package is not on the npm registry (npx answers E404).
  expect(Object.keys(PACKAGE.bin), where).toContain(entry.command);
  expect(entry.args ?? [], where).toEqual([]);
  for (const name of Object.keys(entry.env ?? {})) {
    expect(documentedEnvNames(), `${where}: ${name} is not in the configuration table`).toContain(name);
    expect(configEnvNames(), `${where}: src/config.ts does not read ${name}`).toContain(name);
  }
}

describe("README configuration snippets", () => {
  const snippets = codeBlocks(README, "json").map((text, index) => ({ index, text }));

  it("has the Claude Desktop, Claude Code, Cursor and VS Code snippets", () => {
    for (const heading of ["Use it from Claude Desktop", "Use it from Claude Code", "Use it from Cursor", "Use it from VS Code"]) {
      expect(codeBlocks(section(README, heading), "json").length + codeBlocks(section(README, heading), "sh").length, heading).toBeGreaterThan(0);
    }
    expect(snippets.length).toBeGreaterThanOrEqual(4);
  });

  it.each(snippets)("JSON block $index parses and starts this package with documented variables", ({ index, text }) => {
    const parsed = JSON.parse(text) as { mcpServers?: Record<string, ServerEntry>; servers?: Record<string, ServerEntry> };
    const entries = Object.entries(parsed.mcpServers ?? parsed.servers ?? {});
    expect(entries.length, `block ${index} configures no server`).toBeGreaterThan(0);
    for (const [name, entry] of entries) {
      expectRunsThePackage(entry, `block ${index} (${name})`);
      // VS Code's mcp.json is the one format that needs the transport type.
      if (parsed.servers) expect(entry.type, `block ${index} (${name})`).toBe("stdio");
    }
  });

  it("the VS Code snippet uses VS Code's own format (servers + type), the others mcpServers", () => {
    const vscode = JSON.parse(codeBlocks(section(README, "Use it from VS Code"), "json")[0]!) as Record<string, unknown>;
    expect(Object.keys(vscode)).toEqual(["servers"]);
    for (const heading of ["Use it from Claude Desktop", "Use it from Cursor"]) {
      expect(Object.keys(JSON.parse(codeBlocks(section(README, heading), "json")[0]!) as object), heading).toEqual(["mcpServers"]);
    }
  });

  it("the claude mcp add command passes documented variables with -e before -- and runs the package after it", () => {
    const command = codeBlocks(section(README, "Use it from Claude Code"), "sh")[0]!.replace(/\\\n\s*/g, " ").trim();
    const [options, server] = command.split(" -- ") as [string, string | undefined];
    expect(options).toMatch(/^claude mcp add media-jobs /);
    expect(Object.keys(PACKAGE.bin)).toContain(server?.trim());
    const names = [...options.matchAll(/-e ([A-Z][A-Z0-9_]+)=/g)].map((match) => match[1]!);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(documentedEnvNames()).toContain(name);
      expect(configEnvNames()).toContain(name);
    }
  });
});

describe("README install steps", () => {
  const install = section(README, "Install");

  it("install the tarball `npm run release` writes, named by the package's version, and run its command", () => {
    const commands = codeBlocks(install, "sh")[0]!.trim().split("\n");
    expect(commands).toEqual(["npm ci && npm run release", `npm install -g ./release/${PACKAGE.name}-${PACKAGE.version}.tgz`, `${PACKAGE.name} --help`]);
    expect(Object.keys(PACKAGE.bin)).toContain(PACKAGE.name);
  });

  it("mention `npx -y` only where they say it needs the package published on npm", () => {
    const paragraphs = README.split(/\n\s*\n/).filter((paragraph) => /npx -y media-jobs-mcp|"npx"/.test(paragraph));
    expect(paragraphs.length).toBeGreaterThan(0);
    for (const paragraph of paragraphs) expect(paragraph).toMatch(/published on npm/);
  });
});

describe("README configuration table", () => {
  it("documents exactly the environment variables src/config.ts reads", () => {
    expect([...documentedEnvNames()].sort()).toEqual([...configEnvNames()].sort());
  });

  it("lists every vendor key", () => {
    for (const key of VENDOR_KEYS) expect(documentedEnvNames()).toContain(key);
  });
});

describe("README tool examples", () => {
  const tools = section(README, "Tools");
  const examplesTable = tools.slice(tools.indexOf("One example call per tool"), tools.indexOf("\nResources:"));
  const examples = tableRows(examplesTable)
    .map(([tool, example]) => ({ tool: tool!.replace(/`/g, ""), example: example!.replace(/^`|`$/g, "") }));

  it("give one example call for every tool", () => {
    expect(examples.map((example) => example.tool).sort()).toEqual(Object.keys(TOOLS).sort());
  });

  it.each(examples)("$tool: the example passes the tool's input schema", ({ tool, example }) => {
    const parsed = TOOLS[tool]!.inputSchema.safeParse(JSON.parse(example));
    expect(parsed.success, parsed.success ? "" : parsed.error.message).toBe(true);
  });
});
