// MEDIA_JOBS_DATABASE_URL: a libpq-style postgres:// URL, plus `?schema=NAME` to keep the job
// store in its own schema (created at start-up) — several deployments or test runs can then
// share one database. Parsed once here; the password never leaves this module but in the
// connection string handed to pg.

/** An unquoted PostgreSQL identifier: what `?schema=` accepts. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresTarget {
  /** What pg connects with (the URL without our `schema` parameter). */
  connectionString: string;
  /** The schema the store lives in, when the URL names one; otherwise the connection's search_path decides. */
  schema?: string;
  /** The database as a person would name it in a message, without the password: user@host:port/db. */
  description: string;
}

export class DatabaseUrlError extends Error {}

export function parsePostgresUrl(text: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DatabaseUrlError("must be a postgres:// or postgresql:// URL (e.g. postgres://user:password@db.example.com:5432/media_jobs)");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new DatabaseUrlError(`must start with postgres:// or postgresql:// (got ${url.protocol}//…)`);
  }
  const schemas = url.searchParams.getAll("schema");
  if (schemas.length > 1) throw new DatabaseUrlError("names ?schema= more than once");
  const schema = schemas[0];
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new DatabaseUrlError(`?schema=${schema} is not a plain schema name: use lower-case letters, digits and _ (at most 63, not starting with a digit)`);
  }
  url.searchParams.delete("schema");
  if (schema !== undefined) {
    // A startup parameter, so every connection (pool, LISTEN, migrations) lands in the schema
    // without a SET per checkout; added to the URL's own `options`, which pg prefers to ours.
    const options = url.searchParams.get("options");
    url.searchParams.set("options", `${options ? `${options} ` : ""}-c search_path=${schema}`);
  }
  const user = decodeURIComponent(url.username) || "(default user)";
  const host = decodeURIComponent(url.hostname) || url.searchParams.get("host") || "localhost";
  const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || "(default database)";
  return {
    connectionString: url.toString(),
    ...(schema !== undefined ? { schema } : {}),
    description: `${user}@${host}:${url.port || "5432"}/${database}${schema !== undefined ? ` (schema ${schema})` : ""}`,
  };
}

/** The password in a database URL, if any: a secret the logger redacts. */
export function passwordOf(text: string): string | undefined {
  try {
    return decodeURIComponent(new URL(text).password) || undefined;
  } catch {
    return undefined;
  }
}

/** A PostgreSQL identifier, quoted. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
