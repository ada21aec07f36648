// The server behind the bin (cli.ts checks the Node version first): argv → config → stdio
// (default) or Streamable HTTP. Logs go to stderr only. Anything that stops the start is one
// line on stderr saying what is wrong, where, and what to do, and a non-zero exit.

import { readVersion } from "./app.js";
import { createDefaultApp } from "./default-app.js";
import { ConfigError, loadConfig, parseArgs } from "./config.js";
import { MediaJobsError } from "./errors.js";
import { startHttpServer } from "./http-server.js";
import { buildServer } from "./server.js";
import { StoreOpenError } from "./store/store-open-error.js";
import { GuardedStdioTransport } from "./transport/guarded-stdio-transport.js";

const HELP = `media-jobs-mcp — MCP server for asynchronous media-analysis jobs

Usage:
  media-jobs-mcp [DIR ...]       serve MCP over stdio (for Claude Desktop, IDE agents);
                                 local files may come from each DIR (and MEDIA_JOBS_ALLOWED_DIRS)
  media-jobs-mcp --http [--port N] [--host H] [DIR ...]
                                 serve Streamable HTTP at /mcp (127.0.0.1:3000 by default);
                                 --port and --host are refused without --http

Configuration is by environment variables; see the README's configuration table.
`;

/** How long shutdown waits for jobs and stores to close before the process exits anyway. */
const SHUTDOWN_WAIT_MS = 5_000;
/**
 * How long an HTTP server stopping gracefully lets in-flight requests finish. Long-polls answer
 * at once when the stop begins, so this bounds tool calls still working (a start_job uploading
 * to a vendor); well inside the 30 s a container orchestrator gives before SIGKILL.
 */
const HTTP_DRAIN_MS = 15_000;

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
  const app = await createDefaultApp(config);
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
    const running = await startHttpServer(app).catch((error: unknown) => {
      throw explainListenFailure(error, config.http.host, config.http.port);
    });
    // Graceful: stop taking requests, let in-flight answers go out, then close sessions; the
    // app's close then releases this server's job leases (another replica takes them at once).
    shutdownTasks.push(async () => {
      app.logger.info("shutting down: no new requests; finishing the ones in flight");
      const unfinished = await running.drain(HTTP_DRAIN_MS);
      if (unfinished > 0) app.logger.warning(`shutting down with ${unfinished} request(s) unfinished after ${HTTP_DRAIN_MS / 1000} s`);
      await running.close();
    });
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

/** A start-up failure already phrased for the user (no stack: it is not a bug in the server). */
class StartupError extends Error {}

/** listen() failures by their errno code: the bind address or port the user chose is the cause. */
function explainListenFailure(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
    case "EAI_FAIL":
      return new StartupError(
        `cannot listen on --host ${host}: no such host or address here (${code}); give an address of this machine, ` +
          "e.g. 127.0.0.1 (the default) or ::1 (brackets are optional)",
      );
    case "EADDRNOTAVAIL":
      return new StartupError(
        `cannot listen on ${where}: ${host} is not an address of this machine (${code}); use 127.0.0.1 (the default), ::1, or one of its own addresses`,
      );
    case "EADDRINUSE":
      return new StartupError(`cannot listen on ${where}: the port is in use (${code}); choose another with --port N, or --port 0 for a free one`);
    case "EACCES":
    case "EPERM":
      return new StartupError(
        `cannot listen on ${where}: permission denied (${code}); ports below 1024 need privileges, choose a higher one with --port N`,
      );
    default:
      return error;
  }
}

main().catch((error: unknown) => {
  let line: string;
  if (error instanceof ConfigError) line = `configuration error: ${error.message}`;
  // Our typed errors are written to be shown as they are (a full disk is a StorageFullError).
  else if (error instanceof StoreOpenError || error instanceof StartupError || error instanceof MediaJobsError) line = error.message;
  else {
    // Not a known start-up condition: still one line, with the stack only when asked for.
    const message = error instanceof Error ? error.message : String(error);
    line = `failed to start: ${message.replace(/\s+/g, " ")}`;
    if (process.env.MEDIA_JOBS_LOG_LEVEL === "debug" && error instanceof Error && error.stack) line += `\n${error.stack}`;
    else line += " (set MEDIA_JOBS_LOG_LEVEL=debug to see where)";
  }
  process.stderr.write(`media-jobs-mcp: ${line}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
