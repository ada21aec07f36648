// Why the job store could not be opened, in one line a user can act on: what is wrong, which
// path, and what to do. The server never deletes or repairs a store it cannot read: the jobs
// in it may still be billed at a vendor, and a person may want to recover them.

import fs from "node:fs";

export class StoreOpenError extends Error {
  override readonly name = "StoreOpenError";
}

// SQLite primary result codes (https://sqlite.org/rescode.html); node:sqlite reports the
// extended code in `errcode`, whose low byte is the primary one.
const SQLITE_PERM = 3;
const SQLITE_READONLY = 8;
const SQLITE_CORRUPT = 11;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

const SQLITE_IOERR = 10;

/**
 * SQLite reports some writes to a full disk as I/O errors (sizing the -shm file, for one), not
 * SQLITE_FULL: such an error on a disk with no space left for this user is a full disk.
 */
export function isFullDiskIoError(error: unknown, dir: string): boolean {
  const details = (error ?? {}) as { code?: unknown; errcode?: unknown };
  if (details.code !== "ERR_SQLITE_ERROR" || typeof details.errcode !== "number" || (details.errcode & 0xff) !== SQLITE_IOERR) return false;
  try {
    return fs.statfsSync(dir).bavail === 0;
  } catch {
    return false;
  }
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

/** Converts what mkdir or node:sqlite threw while opening the store (a full disk aside: StorageFullError) into a StoreOpenError. */
export function explainStoreOpenFailure(error: unknown, where: { dataDir: string; dbFile: string }): StoreOpenError {
  if (error instanceof StoreOpenError) return error;
  const { dataDir, dbFile } = where;
  const details = (error ?? {}) as { code?: unknown; errcode?: unknown; errstr?: unknown; message?: unknown };
  const reason = (typeof details.errstr === "string" ? details.errstr : typeof details.message === "string" ? details.message : String(error)).replace(
    /\s+/g,
    " ",
  );
  const elsewhere = "or set MEDIA_JOBS_DATA_DIR to another folder";
  const moveAside = `move it aside (with its -wal and -shm files, if any) and start again for an empty store, ${elsewhere}; media-jobs-mcp never deletes it`;
  const explained = (message: string) => new StoreOpenError(message, { cause: error });

  switch (details.code) {
    case "EEXIST":
    case "ENOTDIR":
      return explained(`the data directory ${dataDir} is not a directory (a file is in its place): move that file aside, ${elsewhere}`);
    case "EACCES":
    case "EPERM":
    case "EROFS":
      return explained(`cannot create the data directory ${dataDir} (${reason}): let this user write there, ${elsewhere}`);
  }

  if (details.code === "ERR_SQLITE_ERROR") {
    const primary = typeof details.errcode === "number" ? details.errcode & 0xff : undefined;
    if (primary === SQLITE_NOTADB || primary === SQLITE_CORRUPT) return explained(`the job store ${dbFile} is damaged (${reason}): ${moveAside}`);
    if (primary === SQLITE_CANTOPEN && isDirectory(dbFile)) {
      return explained(`the job store ${dbFile} is a directory, not a database file: ${moveAside}`);
    }
    if (primary === SQLITE_CANTOPEN || primary === SQLITE_PERM || primary === SQLITE_READONLY) {
      return explained(`cannot open the job store ${dbFile} for writing (${reason}): let this user read and write it and its folder, ${elsewhere}`);
    }
  }
  return explained(`cannot open the job store ${dbFile} (${reason}): check its disk and that this user can read and write it, ${elsewhere}`);
}
