// Entry point of the Claude Desktop bundle (.mcpb). The host can pass a list of folders only
// as separate command-line arguments (a `multiple: true` directory setting cannot be put in
// an env var), so this turns those arguments into MEDIA_JOBS_ALLOWED_DIRS and then runs the
// ordinary CLI with no arguments: stdio, exactly as the `media-jobs-mcp` command does.
// Nothing here needs a newer Node than any host ships; dist/cli.js checks the version first,
// so a host with a too-old Node logs one line naming the version needed, not a stack.

import path from "node:path";

const folders = process.argv.slice(2).filter((folder) => folder.trim() !== "" && !folder.startsWith("${"));
const existing = process.env.MEDIA_JOBS_ALLOWED_DIRS ?? "";
process.env.MEDIA_JOBS_ALLOWED_DIRS = [existing, ...folders].filter(Boolean).join(path.delimiter);

// Settings left empty by the user arrive as "" (or, in hosts that skip defaults, as the
// literal "${user_config.…}" placeholder); neither is a key, so drop both.
for (const [name, value] of Object.entries(process.env)) {
  if (value !== undefined && /^\$\{user_config\.[^}]*\}$/.test(value)) delete process.env[name];
}

process.argv.splice(2);
await import("./dist/cli.js");
