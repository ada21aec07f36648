// Runs before anything else the bin loads, on whatever Node the client happens to start, so it
// uses nothing newer than the oldest Node anyone still has: plain process APIs, no imports.

/** The oldest Node.js the server runs on: undici 8 needs 22.19 (on 22.13 it throws at import). */
export const MINIMUM_NODE = "22.19.0";

function parts(version: string): number[] {
  return version
    .replace(/^v/, "")
    .split(".")
    .map((part) => Number.parseInt(part, 10) || 0);
}

/** True when `version` (e.g. "22.18.1" or "v24.1.0") is at least MINIMUM_NODE. */
export function isSupportedNode(version: string): boolean {
  const have = parts(version);
  const need = parts(MINIMUM_NODE);
  for (let index = 0; index < need.length; index++) {
    const difference = (have[index] ?? 0) - need[index]!;
    if (difference !== 0) return difference > 0;
  }
  return true;
}

/** One line for a Node that is too old: what is needed, what ran, where, and what to do. */
export function tooOldNodeMessage(version: string, execPath: string): string {
  const [major, minor] = parts(MINIMUM_NODE);
  return (
    `media-jobs-mcp needs Node.js ${major}.${minor} or newer; this is ${version.replace(/^v/, "")} (${execPath}). ` +
    `Install a current Node.js LTS (https://nodejs.org) and make it the "node" your MCP client starts.`
  );
}

/**
 * node:sqlite announces itself on Node 22 with "ExperimentalWarning: SQLite is an experimental
 * feature…" on stderr, which clients show in their logs as if something were wrong. Drop that
 * one warning and pass every other warning on unchanged. Node raises it through the public
 * process.emitWarning when node:sqlite is first loaded, so this must run before that import.
 */
export function silenceSqliteExperimentalWarning(): void {
  const emitWarning = process.emitWarning;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]): void {
    const option = rest[0];
    const type =
      typeof option === "string" ? option : (option as { type?: string } | undefined)?.type ?? (warning instanceof Error ? warning.name : undefined);
    const message = typeof warning === "string" ? warning : warning.message;
    if (type === "ExperimentalWarning" && message.startsWith("SQLite is an experimental feature")) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
}
