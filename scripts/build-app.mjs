// npm run build (after tsc) → dist/apps/results.html: the MCP App view as ONE self-contained
// file. Hosts load it in a sandboxed iframe under a deny-by-default CSP, so script and style are
// inlined and nothing is fetched. esbuild bundles the view with @modelcontextprotocol/ext-apps
// (tsc alone cannot inline the package and its dependencies into one script).
//
//   node scripts/build-app.mjs

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const viewDir = path.join(root, "src/apps/view");

// esbuild strips types without checking them; the view has its own tsconfig (DOM, no Node).
const tsc = path.join(root, "node_modules/typescript/bin/tsc");
const checked = spawnSync(process.execPath, [tsc, "-p", path.join(viewDir, "tsconfig.json")], { stdio: "inherit" });
if (checked.status !== 0) process.exit(checked.status ?? 1);

const bundled = await build({
  entryPoints: [path.join(viewDir, "main.ts")],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  write: false,
});
// "</script" inside the bundle would end the inline script early.
const script = bundled.outputFiles[0].text.replaceAll("</script", "<\\/script");
const style = fs.readFileSync(path.join(viewDir, "style.css"), "utf8");
const template = fs.readFileSync(path.join(viewDir, "index.html"), "utf8");
const html = template.replace("/*STYLE*/", () => style).replace("/*SCRIPT*/", () => script);

const out = path.join(root, "dist/apps/results.html");
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, html);
process.stderr.write(`results view: ${path.relative(root, out)} (${Math.round(html.length / 1024)} KiB)\n`);
