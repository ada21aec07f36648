// npm run release → everything a release publishes, in release/ (or --out-dir):
//   media-jobs-mcp-<version>.tgz   the npm package (npm pack): `npm install -g` it, or `npm publish` it
//   media-jobs-mcp-<version>.mcpb  the Claude Desktop bundle (scripts/bundle.mjs)
//   server.json                    the MCP Registry entry: ./server.json with the bundle's SHA-256
//
// One clean build serves both artifacts. The versions in package.json, manifest.json and
// server.json must agree before anything is built.
//
//   node scripts/release.mjs [--no-build] [--out-dir DIR]

import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
};
const outDir = path.resolve(option("--out-dir") ?? path.join(root, "release"));
const readJson = (file) => JSON.parse(fs.readFileSync(path.join(root, file), "utf8"));
const say = (line) => process.stderr.write(line + "\n");

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", shell: process.platform === "win32" });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(" ")} failed (exit ${result.status ?? result.signal})`);
  return result.stdout;
}

const pkg = readJson("package.json");
const manifest = readJson("manifest.json");
const server = readJson("server.json");
const versions = { "package.json": pkg.version, "manifest.json": manifest.version, "server.json": server.version };
for (const entry of server.packages) versions[`server.json ${entry.registryType} package`] = entry.version;
const differing = Object.entries(versions).filter(([, version]) => version !== pkg.version);
if (differing.length > 0) {
  throw new Error(`versions differ from package.json ${pkg.version}: ${differing.map(([file, version]) => `${file} ${version}`).join(", ")}; bump them together`);
}

// `npm run build` starts from an empty dist/: files of deleted sources never ride along.
if (!args.includes("--no-build")) run("npm", ["run", "build"]);
fs.mkdirSync(outDir, { recursive: true });

const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", outDir]))[0];
const tarball = path.join(outDir, packed.filename);

const bundle = path.join(outDir, `${pkg.name}-${pkg.version}.mcpb`);
run(process.execPath, [path.join(root, "scripts", "bundle.mjs"), "--no-build", "--out", bundle]);

const fileSha256 = crypto.createHash("sha256").update(fs.readFileSync(bundle)).digest("hex");
const released = {
  ...server,
  packages: server.packages.map((entry) => (entry.registryType === "mcpb" ? { ...entry, fileSha256 } : entry)),
};
fs.writeFileSync(path.join(outDir, "server.json"), JSON.stringify(released, null, 2) + "\n");

say(`release ${pkg.version} in ${path.relative(process.cwd(), outDir) || outDir}:`);
const installable = path.relative(process.cwd(), tarball);
say(`  ${path.basename(tarball)} (${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} kB)  npm install -g ${/^[./]/.test(installable) ? installable : `./${installable}`}`);
say(`  ${path.basename(bundle)} (${(fs.statSync(bundle).size / 1024 / 1024).toFixed(1)} MB, sha256 ${fileSha256})`);
say(`  server.json (for mcp-publisher, once the tarball is on npm and the bundle at ${released.packages.find((entry) => entry.registryType === "mcpb")?.identifier})`);
