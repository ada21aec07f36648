// Start-up shared by the standalone fakes (hamsa-fake-main.ts, humanstandard-fake-main.ts).
// Node runs those files with type stripping, and the project's imports say ".js" (NodeNext):
// resolveTypeScriptSources maps a missing relative ".js" to its ".ts" source. Because that hook
// does not exist yet when a main starts, the mains load this file by its ".ts" name. It must
// itself import nothing relative.

import { registerHooks } from "node:module";

export function resolveTypeScriptSources(): void {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        if (/^\.{1,2}\/.*\.js$/.test(specifier)) return nextResolve(specifier.replace(/\.js$/, ".ts"), context);
        throw error;
      }
    },
  });
}

/** A whole number from a flag or an environment variable; undefined when unset. */
export function wholeNumber(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`invalid ${name}: ${raw}`);
  return value;
}

/** The port from `--port N` or `--port=N`, else from `fromEnv`; undefined means any free port. */
export function portFromArguments(argv: string[], fromEnv: string | undefined): number | undefined {
  const flag = argv.findIndex((argument) => argument === "--port" || argument.startsWith("--port="));
  const raw = flag >= 0 ? (argv[flag]!.includes("=") ? argv[flag]!.split("=")[1] : argv[flag + 1]) : fromEnv;
  const port = wholeNumber(raw, "port");
  if (port !== undefined && port > 65_535) throw new Error(`invalid port: ${raw}`);
  return port;
}

/** Prints the one JSON line the tests read, then serves until SIGTERM or SIGINT. */
export function announceAndServe(fake: { close(): Promise<void> }, started: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(started) + "\n");
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
