// Reads what users copy from: the README's code blocks and tables, the manifest, and the
// environment variables src/config.ts actually reads.

import fs from "node:fs";
import path from "node:path";
import { ROOT } from "../e2e/harness.js";

export const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
export const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  mcpName: string;
  version: string;
  bin: Record<string, string>;
  engines: { node: string };
  license: string;
};

/** Fenced code blocks of one language, in order. */
export function codeBlocks(markdown: string, language: string): string[] {
  const blocks: string[] = [];
  const fence = new RegExp("^```" + language + "\\s*\\n([\\s\\S]*?)^```", "gm");
  for (const match of markdown.matchAll(fence)) blocks.push(match[1]!);
  return blocks;
}

/** The body of the section under a `## heading`, up to the next `## `. */
export function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}`);
  if (start === -1) throw new Error(`README has no "## ${heading}" section`);
  const next = markdown.indexOf("\n## ", start + 4);
  return markdown.slice(start, next === -1 ? undefined : next);
}

/** Rows of the markdown tables in a text, as arrays of cell strings (header and rule rows dropped). */
export function tableRows(markdown: string): string[][] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("|") && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        // A `|` inside backticks belongs to the cell (e.g. [{url}|{path}]).
        .split(/\|(?=(?:[^`]*`[^`]*`)*[^`]*$)/)
        .map((cell) => cell.trim()),
    )
    .slice(1);
}

/** The names src/config.ts reads from the environment (its envSchema keys). */
export function configEnvNames(): string[] {
  const source = fs.readFileSync(path.join(ROOT, "src", "config.ts"), "utf8");
  const start = source.indexOf("const envSchema = z.object({");
  const end = source.indexOf("\n});", start);
  if (start === -1 || end === -1) throw new Error("src/config.ts: envSchema not found");
  return [...source.slice(start, end).matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((match) => match[1]!);
}

/** Environment variables documented in the README's configuration table. */
export function documentedEnvNames(): string[] {
  const names = new Set<string>();
  for (const row of tableRows(section(README, "Configuration"))) {
    for (const match of (row[0] ?? "").matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(match[1]!);
  }
  return [...names];
}
