// Local files are read only from directories the user allowed (MEDIA_JOBS_ALLOWED_DIRS or the
// client's MCP roots). Paths are resolved with realpath (so symlinks cannot escape) and
// compared on separator boundaries (so /data/media-evil is not inside /data/media).

import fs from "node:fs/promises";
import path from "node:path";
import { UserInputError } from "../errors.js";

export interface AllowedFile {
  path: string;
  name: string;
  bytes: number;
}

export function isInside(child: string, parent: string): boolean {
  if (child === parent) return true;
  const prefix = parent.endsWith(path.sep) ? parent : parent + path.sep;
  return child.startsWith(prefix);
}

async function realDirs(dirs: readonly string[]): Promise<string[]> {
  const resolved: string[] = [];
  for (const dir of dirs) {
    try {
      resolved.push(await fs.realpath(dir));
    } catch {
      // An allowed dir that does not exist allows nothing.
    }
  }
  return resolved;
}

export async function resolveAllowedFile(requested: string, allowedDirs: readonly string[]): Promise<AllowedFile> {
  if (requested.includes("\0")) throw new UserInputError("path contains a NUL byte");
  const dirs = await realDirs(allowedDirs);
  if (dirs.length === 0) {
    throw new UserInputError(
      "local files are disabled: no allowed directory is configured. Set MEDIA_JOBS_ALLOWED_DIRS (or let your MCP client share roots), or pass a public https URL instead",
    );
  }
  const candidates = path.isAbsolute(requested) ? [requested] : dirs.map((dir) => path.join(dir, requested));
  let lastError: unknown;
  for (const candidate of candidates) {
    let real: string;
    try {
      real = await fs.realpath(candidate);
    } catch (error) {
      lastError = error;
      continue;
    }
    if (!dirs.some((dir) => isInside(real, dir))) {
      throw new UserInputError(
        `path ${requested} is outside the allowed directories (${dirs.join(", ")}); move the file there or add its directory to MEDIA_JOBS_ALLOWED_DIRS`,
      );
    }
    const stat = await fs.stat(real);
    if (!stat.isFile()) throw new UserInputError(`path ${requested} is not a regular file`);
    return { path: real, name: path.basename(real), bytes: stat.size };
  }
  const code = (lastError as NodeJS.ErrnoException | undefined)?.code;
  throw new UserInputError(
    code === "EACCES"
      ? `path ${requested} cannot be read (permission denied)`
      : `file not found: ${requested} (relative paths are resolved against the allowed directories: ${dirs.join(", ")})`,
  );
}
