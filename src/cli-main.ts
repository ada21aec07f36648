// The server behind the bin (cli.ts checks the Node version first): argv → config → stdio
// (default) or Streamable HTTP. Logs go to stderr only.

import { readVersion } from "./app.js";
import { createDefaultApp } from "./default-app.js";
import { ConfigError, loadConfig, parseArgs } from "./config.js";
import { startHttpServer } from "./http-server.js";
import { buildServer } from "./server.js";
import { GuardedStdioTransport } from "./transport/guarded-stdio-transport.js";

const HELP = `media-jobs-mcp — MCP server for asynchronous media-analysis jobs

Usage:
  media-jobs-mcp [DIR ...]       serve MCP over stdio (for Claude Desktop, IDE agents);
                                 local files may come from each DIR (and MEDIA_JOBS_ALLOWED_DIRS)
  media-jobs-mcp --http [--port N] [--host H] [DIR ...]
                                 serve Streamable HTTP at /mcp (127.0.0.1:3000 by default)

Configuration is by environment variables; see the README's configuration table.
`;

/** How long shutdown waits for jobs and stores to close before the process exits anyway. */
const SHUTDOWN_WAIT_MS = 5_000;

async function main(): Promise<void> {
  const flags = parseArgs(process.argv.slice(2));
  if (flags.help) {
    process.stderr.write(HELP);
    return;
  }
  if (flags.version) {
    process.stderr.write(readVersion() + "\n");
    return;
  }
  const config = loadConfig(process.env, flags);
  const app = createDefaultApp(config);
  const shutdownTasks: Array<() => Promise<void>> = [];
  let shuttingDown = false;
  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const task of shutdownTasks) await task().catch(() => undefined);
    // Bounded: the client is gone, and nothing it left running may keep the process alive.
    const closing = app.close().catch(() => undefined);
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())]);
    process.exit(code);
  };
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  app.poller.start();
  if (config.http.enabled) {
    const running = await startHttpServer(app);
    shutdownTasks.push(() => running.close());
    app.logger.info(`media-jobs-mcp ${app.version} listening on ${running.url}`);
    // One parseable line for scripts and tests that start the server on port 0.
    process.stderr.write(JSON.stringify({ listening: running.url }) + "\n");
  } else {
    const built = buildServer(app, { transport: "stdio" });
    const transport = new GuardedStdioTransport(process.stdin, process.stdout, {
      onRefused: (reason) => app.logger.debug(`refused a client message: ${reason}`),
    });
    transport.onclose = () => void shutdown(0);
    process.stdin.on("end", () => void shutdown(0));
    await built.server.connect(transport);
    app.logger.info(`media-jobs-mcp ${app.version} serving over stdio (data dir ${config.dataDir})`);
  }
}

main().catch((error: unknown) => {
  const message = error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.stack ?? error.message : String(error);
  process.stderr.write(`media-jobs-mcp: ${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
