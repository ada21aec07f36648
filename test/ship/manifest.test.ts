// manifest.json, the Claude Desktop bundle's description: valid for the official `mcpb
// validate`, and in step with the package, the server's tools and prompts, and src/config.ts.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { toolsFor } from "../../src/tools/index.js";
import { ROOT } from "../e2e/harness.js";
import { startInMemoryApp, type InMemoryApp } from "../support/in-memory-app.js";
import { configEnvNames, PACKAGE } from "./ship-docs.js";

interface UserConfigOption {
  type: string;
  title: string;
  description: string;
  required?: boolean;
  sensitive?: boolean;
  multiple?: boolean;
  default?: unknown;
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "manifest.json"), "utf8")) as {
  name: string;
  display_name: string;
  version: string;
  description: string;
  long_description: string;
  license: string;
  icon: string;
  server: { type: string; entry_point: string; mcp_config: { command: string; args: string[]; env: Record<string, string> } };
  tools: Array<{ name: string; description: string }>;
  prompts: Array<{ name: string; description: string; arguments: string[]; text: string }>;
  compatibility: { runtimes: { node: string } };
  user_config: Record<string, UserConfigOption>;
};

const VENDOR_KEYS = ["HUME_API_KEY", "PYANNOTEAI_API_KEY", "HAMSA_API_KEY", "HUMANSTANDARD_API_KEY"];
const placeholder = (value: string) => /^\$\{user_config\.([a-z0-9_]+)\}$/.exec(value)?.[1];

describe("manifest.json", () => {
  it("passes the official mcpb validate (schema and icon)", () => {
    const cli = path.join(ROOT, "node_modules", "@anthropic-ai", "mcpb", "dist", "cli", "cli.js");
    const result = spawnSync(process.execPath, [cli, "validate", path.join(ROOT, "manifest.json")], { cwd: ROOT, encoding: "utf8" });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout + result.stderr).toContain("validation passes");
  });

  it("names the package, its version, license and a real 512×512 PNG icon", () => {
    expect(manifest.name).toBe(PACKAGE.name);
    expect(manifest.version).toBe(PACKAGE.version);
    expect(manifest.license).toBe(PACKAGE.license);
    expect(manifest.display_name.length).toBeGreaterThan(0);
    expect(manifest.description.length).toBeGreaterThan(40);
    expect(manifest.long_description.length).toBeGreaterThan(manifest.description.length);
    const icon = fs.readFileSync(path.join(ROOT, manifest.icon));
    expect(icon.subarray(1, 4).toString("ascii")).toBe("PNG");
    expect([icon.readUInt32BE(16), icon.readUInt32BE(20)]).toEqual([512, 512]);
  });

  it("asks for the Node versions the package supports", () => {
    const minimum = (range: string) => /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(range.trim())!.slice(1, 4).map((part) => Number(part ?? 0));
    expect(minimum(manifest.compatibility.runtimes.node)).toEqual(minimum(PACKAGE.engines.node));
  });

  it("lists exactly the server's tools over stdio (the bundle's transport)", () => {
    expect(manifest.tools.map((tool) => tool.name).sort()).toEqual(Object.keys(toolsFor("stdio")).sort());
    for (const tool of manifest.tools) expect(tool.description.length, tool.name).toBeGreaterThan(20);
  });

  it("asks for each vendor key as an optional secret and passes it as that env var", () => {
    const env = manifest.server.mcp_config.env;
    expect(Object.keys(env).sort()).toEqual([...VENDOR_KEYS].sort());
    for (const key of VENDOR_KEYS) {
      const option = manifest.user_config[placeholder(env[key]!) ?? ""];
      expect(option, key).toBeDefined();
      expect(option).toMatchObject({ type: "string", sensitive: true, required: false });
      // An empty default makes an unset key arrive as "" (unset), not as the literal placeholder.
      expect(option!.default).toBe("");
      expect(option!.description).toContain(key);
    }
  });

  it("passes env names src/config.ts reads: a value set there reaches the config, an empty one does not", () => {
    for (const name of Object.keys(manifest.server.mcp_config.env)) {
      expect(configEnvNames()).toContain(name);
      const secret = `value-of-${name.toLowerCase()}`;
      expect(JSON.stringify(loadConfig({ [name]: secret })), name).toContain(secret);
      expect(JSON.stringify(loadConfig({ [name]: "" })), name).not.toContain(`"apiKey":""`);
    }
  });

  it("takes the allowed folders as a directory list, expanded into the entry's arguments", () => {
    const option = manifest.user_config.allowed_directories!;
    expect(option).toMatchObject({ type: "directory", multiple: true, required: false });
    // Hosts expand a list only where it is a whole argument (never inside an env string).
    expect(manifest.server.mcp_config.args).toEqual([`\${__dirname}/${manifest.server.entry_point}`, "${user_config.allowed_directories}"]);
    expect(fs.existsSync(path.join(ROOT, "scripts", manifest.server.entry_point))).toBe(true);
    expect(Object.values(manifest.server.mcp_config.env)).not.toContain("${user_config.allowed_directories}");
    // Every user_config option is used somewhere in mcp_config.
    const used = JSON.stringify(manifest.server.mcp_config);
    for (const key of Object.keys(manifest.user_config)) expect(used, key).toContain(`\${user_config.${key}}`);
  });

  describe("prompts", () => {
    let session: InMemoryApp;
    beforeAll(async () => {
      session = await startInMemoryApp([], { startPoller: false });
    });
    afterAll(async () => {
      await session?.close();
    });

    it("match the server's prompts and their arguments", async () => {
      const { prompts } = await session.client.listPrompts();
      expect(manifest.prompts.map((prompt) => prompt.name).sort()).toEqual(prompts.map((prompt) => prompt.name).sort());
      for (const prompt of prompts) {
        const declared = manifest.prompts.find((entry) => entry.name === prompt.name)!;
        expect(declared.arguments, prompt.name).toEqual((prompt.arguments ?? []).map((argument) => argument.name));
        for (const argument of declared.arguments) expect(declared.text, prompt.name).toContain(`\${arguments.${argument}}`);
      }
    });
  });
});
