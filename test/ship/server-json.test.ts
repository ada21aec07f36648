// server.json, the MCP Registry entry: the shape of the registry's server.json schema
// (2025-12-11), and in step with package.json (mcpName, name, version), the bundle's release
// URL, and the environment variables src/config.ts reads. `npm run release` adds the bundle's
// SHA-256 (test/runtime/release.test.ts checks it against the bundle it built).

import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../e2e/harness.js";
import { serverJsonSchema } from "./server-json-schema.js";
import { configEnvNames, documentedEnvNames, PACKAGE } from "./ship-docs.js";

/** Read by config but for tests only: not offered to users in an install dialog. */
const TEST_ONLY_ENV = ["MEDIA_JOBS_ALLOW_PRIVATE_URLS"];

const server = serverJsonSchema.parse(JSON.parse(fs.readFileSync(path.join(ROOT, "server.json"), "utf8")));
const [npm, mcpb] = server.packages;

describe("server.json", () => {
  it("is named as package.json's mcpName, a GitHub namespace and the package's name", () => {
    expect(server.name).toBe(PACKAGE.mcpName);
    const [namespace, name] = server.name.split("/") as [string, string];
    expect(namespace).toMatch(/^io\.github\.[A-Za-z0-9-]+$/);
    expect(name).toBe(PACKAGE.name);
    expect(npm.identifier).toBe(PACKAGE.name);
  });

  it("has package.json's version everywhere, including the bundle's release URL", () => {
    expect(server.version).toBe(PACKAGE.version);
    expect(npm.version).toBe(PACKAGE.version);
    expect(mcpb.version).toBe(PACKAGE.version);
    const owner = server.name.split("/")[0]!.replace(/^io\.github\./, "");
    // The official registry takes bundles from GitHub releases; the owner proves the namespace.
    expect(mcpb.identifier).toBe(`https://github.com/${owner}/${PACKAGE.name}/releases/download/v${PACKAGE.version}/${PACKAGE.name}-${PACKAGE.version}.mcpb`);
  });

  it("lists the environment variables src/config.ts reads (but the test-only one), each documented in the README", () => {
    const listed = npm.environmentVariables.map((variable) => variable.name);
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual(configEnvNames().filter((name) => !TEST_ONLY_ENV.includes(name)).sort());
    for (const name of listed) expect(documentedEnvNames(), name).toContain(name);
  });

  it("marks keys, secrets, tokens and the database URL (it may hold a password) secret, and nothing required (the local analyzer needs no key)", () => {
    for (const variable of npm.environmentVariables) {
      expect(variable.isSecret ?? false, variable.name).toBe(/(_API_KEY|_SECRET|_TOKEN|_DATABASE_URL)$/.test(variable.name));
      expect(variable.isRequired ?? false, variable.name).toBe(false);
    }
  });
});
