// Why the PostgreSQL job store could not be opened, in one line a user can act on (what is
// wrong, which database without its password, what to do), as the CLI prints it.

import { StoreOpenError } from "./store-open-error.js";

/** Errors of the network, not of PostgreSQL: the database was never reached, or the connection broke. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "EPIPE"]);
/** SQLSTATEs of a server going away: admin_shutdown, crash_shutdown, cannot_connect_now (class 08 is all connection failures). */
const SERVER_GOING = new Set(["57P01", "57P02", "57P03"]);

/** Why the database cannot be reached (a code or pg's words), or undefined when the error is about something else. */
export function unreachableReason(error: unknown): string | undefined {
  const details = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof details.code === "string" ? details.code : undefined;
  if (code && (UNREACHABLE.has(code) || SERVER_GOING.has(code) || code.startsWith("08"))) return code;
  const message = typeof details.message === "string" ? details.message : "";
  // pg's own words for a connection that ended or never came (no code on these).
  if (/Connection terminated|timeout exceeded when trying to connect|connection error|Connection refused/i.test(message)) return message.replace(/\s+/g, " ");
  return undefined;
}

export function explainPgOpenFailure(error: unknown, description: string): StoreOpenError {
  if (error instanceof StoreOpenError) return error;
  const details = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof details.code === "string" ? details.code : undefined;
  const reason = (typeof details.message === "string" && details.message ? details.message : String(error)).replace(/\s+/g, " ");
  const explained = (message: string) => new StoreOpenError(message, { cause: error });
  const inUrl = "MEDIA_JOBS_DATABASE_URL";

  const unreachable = unreachableReason(error);
  if (unreachable) {
    return explained(`cannot reach the PostgreSQL database ${description} (${unreachable}): check that it runs and that ${inUrl} names its host and port`);
  }
  switch (code) {
    case "28P01":
    case "28000":
      return explained(`PostgreSQL refused the login to ${description} (${reason}): check the user and password in ${inUrl}`);
    case "3D000":
      return explained(`the PostgreSQL database ${description} does not exist (${reason}): create it (createdb), or name another database in ${inUrl}`);
    case "42501":
      return explained(`the user of ${inUrl} may not create the job store's tables in ${description} (${reason}): grant it CREATE on the database or schema`);
    case "3F000":
      return explained(`no schema to create the job store in at ${description} (${reason}): add ?schema=media_jobs to ${inUrl}, or create the schema its search_path names`);
    case "53300":
      return explained(`PostgreSQL at ${description} has no connection left (${reason}): raise max_connections or run fewer replicas`);
  }
  if (/SSL|certificate/i.test(reason)) {
    return explained(`cannot open a TLS connection to PostgreSQL ${description} (${reason}): check the sslmode parameter in ${inUrl}`);
  }
  return explained(`cannot open the job store in PostgreSQL ${description} (${reason}): check ${inUrl} and the database's log`);
}
