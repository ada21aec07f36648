#!/usr/bin/env node
// The bin. Static imports are all evaluated before the first line of a module runs, so this
// entry imports only the version guard, checks the Node it runs on, and then loads the server
// dynamically: on a too-old Node the user reads one line instead of a stack from a missing
// builtin (node:sqlite) or a dependency that needs a newer Node (undici).

import { isSupportedNode, silenceSqliteExperimentalWarning, tooOldNodeMessage } from "./node-version-guard.js";

if (!isSupportedNode(process.versions.node)) {
  process.stderr.write(tooOldNodeMessage(process.versions.node, process.execPath) + "\n");
  process.exit(1);
}
silenceSqliteExperimentalWarning();
await import("./cli-main.js");
