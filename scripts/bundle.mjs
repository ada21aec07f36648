// npm run bundle → media-jobs-mcp-<version>.mcpb, the one-click Claude Desktop bundle.
//
// Builds, stages dist/ + package.json + production node_modules + manifest + icon + the demo
// sample in a temporary folder, refuses native modules (a bundle must run on every OS and
// Node ABI Claude Desktop ships), then packs with the official `mcpb pack`.
//
//   node scripts/bundle.mjs [--no-build] [--out FILE] [--keep-stage]

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
};
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const manifest = JSON.parse(fs.readFileSync(path.join(root, "manifest.json"), "utf8"));
const out = path.resolve(option("--out") ?? path.join(root, `${pkg.name}-${pkg.version}.mcpb`));
const say = (line) => process.stderr.write(line + "\n");

function run(command, commandArgs, cwd) {
  const result = spawnSync(command, commandArgs, { cwd, stdio: ["ignore", "inherit", "inherit"], shell: process.platform === "win32" });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(" ")} failed (exit ${result.status ?? result.signal})`);
}

function copy(from, to) {
  fs.cpSync(path.join(root, from), path.join(stage, to ?? from), {
    recursive: true,
    // The build writes no source maps; one left in dist/ by an older build would point at src/.
    filter: (source) => !source.endsWith(".map"),
  });
}

/** Every `*.node` file under a folder (native addons). */
function findNativeModules(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".node")) found.push(path.join(entry.parentPath, entry.name));
  }
  return found;
}

if (manifest.version !== pkg.version) {
  throw new Error(`manifest.json version ${manifest.version} differs from package.json ${pkg.version}: bump both`);
}

if (!args.includes("--no-build")) run("npm", ["run", "build"], root);
if (!fs.existsSync(path.join(root, "dist", "cli.js"))) throw new Error("dist/cli.js is missing: run npm run build");

const stage = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-bundle-"));
try {
  copy("dist");
  // Benchmarks and the demo client run from the repository, not in Claude Desktop.
  fs.rmSync(path.join(stage, "dist", "bench"), { recursive: true, force: true });
  fs.rmSync(path.join(stage, "dist", "demo"), { recursive: true, force: true });
  copy("package.json");
  copy("package-lock.json");
  copy("manifest.json");
  copy("scripts/mcpb-entry.mjs", "mcpb-entry.mjs");
  copy("assets/icon.png");
  copy("assets/sample");
  copy("README.md");

  // Exactly the locked production dependencies; no install scripts, so nothing compiles.
  run("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], stage);

  const native = findNativeModules(stage);
  if (native.length > 0) {
    throw new Error(`native modules would make the bundle platform-specific:\n  ${native.map((file) => path.relative(stage, file)).join("\n  ")}`);
  }

  const mcpbCli = path.join(root, "node_modules", "@anthropic-ai", "mcpb", "dist", "cli", "cli.js");
  fs.rmSync(out, { force: true });
  run(process.execPath, [mcpbCli, "pack", stage, out], root);
  say(`bundle: ${path.relative(process.cwd(), out) || out} (${(fs.statSync(out).size / 1024 / 1024).toFixed(1)} MB)`);
} finally {
  if (args.includes("--keep-stage")) say(`stage kept at ${stage}`);
  else fs.rmSync(stage, { recursive: true, force: true });
}
