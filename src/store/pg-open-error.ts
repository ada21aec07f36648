// Why the PostgreSQL job store could not be opened, in one line a user can act on (what is
// wrong, which database without its password, what to do), as the CLI prints it.

import { StoreOpenError } from "./store-open-error.js";

/** Errors of the network, not of PostgreSQL: the database was never reached. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "EPIPE"]);

export function explainPgOpenFailure(error: unknown, description: string): StoreOpenError {
  if (error instanceof StoreOpenError) return error;
  const details = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof details.code === "string" ? details.code : undefined;
  const reason = (typeof details.message === "string" && details.message ? details.message : String(error)).replace(/\s+/g, " ");
  const explained = (message: string) => new StoreOpenError(message, { cause: error });
  const inUrl = "MEDIA_JOBS_DATABASE_URL";

  if ((code && UNREACHABLE.has(code)) || /timeout|terminated unexpectedly|Connection terminated/i.test(reason)) {
    return explained(`cannot reach the PostgreSQL database ${description} (${code ?? reason}): check that it runs and that ${inUrl} names its host and port`);
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
