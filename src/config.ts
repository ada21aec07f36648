// One schema for environment and flags. Fails fast and names the bad key.

import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { DatabaseUrlError, parsePostgresUrl } from "./store/pg-url.js";

export const DEFAULT_BASE_URLS = {
  hume: "https://api.hume.ai",
  humeCloud: "https://api.cloud.hume.ai",
  pyannote: "https://api.pyannote.ai",
  hamsa: "https://api.tryhamsa.com",
  humanstandard: "https://app.jobsbyhumans.com/api/v1",
} as const;

const LOG_LEVELS = ["debug", "info", "notice", "warning", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const optionalString = z
  .string()
  .transform((value) => value.trim())
  .optional()
  .transform((value) => (value ? value : undefined));

const baseUrl = (fallback: string) =>
  optionalString
    .transform((value) => (value ?? fallback).replace(/\/+$/, ""))
    .pipe(z.url({ message: "must be an absolute http(s) URL" }));

const positiveInt = (fallback: number) =>
  optionalString.transform((value, ctx) => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) {
      ctx.addIssue({ code: "custom", message: "must be a non-negative integer" });
      return z.NEVER;
    }
    return parsed;
  });

/** A postgres:// URL the PostgreSQL store can use; the message never repeats the URL (it may hold a password). */
const databaseUrl = optionalString.transform((value, ctx) => {
  if (value === undefined) return undefined;
  try {
    parsePostgresUrl(value);
    return value;
  } catch (error) {
    ctx.addIssue({ code: "custom", message: error instanceof DatabaseUrlError ? error.message : "is not a usable postgres:// URL" });
    return z.NEVER;
  }
});

const envSchema = z.object({
  HUME_API_KEY: optionalString,
  PYANNOTEAI_API_KEY: optionalString,
  HAMSA_API_KEY: optionalString,
  HUMANSTANDARD_API_KEY: optionalString,
  HUME_BASE_URL: baseUrl(DEFAULT_BASE_URLS.hume),
  HUME_CLOUD_BASE_URL: baseUrl(DEFAULT_BASE_URLS.humeCloud),
  PYANNOTEAI_BASE_URL: baseUrl(DEFAULT_BASE_URLS.pyannote),
  HAMSA_BASE_URL: baseUrl(DEFAULT_BASE_URLS.hamsa),
  HUMANSTANDARD_BASE_URL: baseUrl(DEFAULT_BASE_URLS.humanstandard),
  HAMSA_PROJECT_ID: optionalString,
  PYANNOTEAI_WEBHOOK_SECRET: optionalString,
  HUMANSTANDARD_WEBHOOK_SECRET: optionalString,
  MEDIA_JOBS_DATA_DIR: optionalString,
  MEDIA_JOBS_DATABASE_URL: databaseUrl,
  MEDIA_JOBS_ALLOWED_DIRS: optionalString,
  MEDIA_JOBS_LOG_LEVEL: optionalString.pipe(z.enum(LOG_LEVELS).optional()),
  MEDIA_JOBS_PUBLIC_URL: optionalString.pipe(z.url().optional()),
  MEDIA_JOBS_HTTP_TOKEN: optionalString,
  MEDIA_JOBS_OAUTH_ISSUER: optionalString.pipe(z.url({ message: "must be the identity provider's issuer URL" }).optional()),
  MEDIA_JOBS_OAUTH_AUDIENCE: optionalString.pipe(z.url({ message: "must be this server's MCP endpoint URL (e.g. https://media.example.com/mcp)" }).optional()),
  MEDIA_JOBS_OAUTH_JWKS_URL: optionalString.pipe(z.url({ message: "must be an absolute http(s) URL" }).optional()),
  MEDIA_JOBS_POLL_INITIAL_MS: positiveInt(2_000),
  MEDIA_JOBS_POLL_MAX_MS: positiveInt(60_000),
  MEDIA_JOBS_LEASE_MS: positiveInt(15_000),
  MEDIA_JOBS_HTTP_TIMEOUT_MS: positiveInt(60_000),
  MEDIA_JOBS_MAX_DOWNLOAD_MB: positiveInt(1_024),
  MEDIA_JOBS_MAX_UPLOAD_MB: positiveInt(512),
  MEDIA_JOBS_UPLOAD_EXPIRY_S: positiveInt(900),
  MEDIA_JOBS_MAX_UPLOADS_PER_USER: positiveInt(20),
  MEDIA_JOBS_MAX_UPLOAD_STORAGE_MB_PER_USER: positiveInt(2_048),
  MEDIA_JOBS_ANALYSIS_TIMEOUT_S: positiveInt(3_600),
  MEDIA_JOBS_MAX_ANALYSIS_HOURS: positiveInt(20),
  MEDIA_JOBS_HTTP_MAX_SESSIONS: positiveInt(200),
  MEDIA_JOBS_HTTP_MAX_SESSIONS_PER_CLIENT: positiveInt(50),
  MEDIA_JOBS_ALLOW_PRIVATE_URLS: optionalString,
});

export interface ProviderConfig {
  apiKey?: string;
  baseUrl: string;
}

export interface Config {
  dataDir: string;
  /** The PostgreSQL job store (a team server, replicas) instead of SQLite in dataDir: a postgres:// URL, `?schema=` optional. */
  databaseUrl?: string;
  allowedDirs: string[];
  logLevel: LogLevel;
  publicUrl?: string;
  http: {
    enabled: boolean;
    host: string;
    port: number;
    token?: string;
    /** Open MCP sessions, overall and per principal (token); the oldest idle goes first. */
    maxSessions: number;
    maxSessionsPerPrincipal: number;
  };
  /** HTTP mode with users: access tokens from this identity provider (instead of one static token). */
  oauth?: { issuer: string; audience: string; jwksUrl?: string };
  poll: { initialDelayMs: number; maxDelayMs: number };
  /** How long a job stays with a server that stopped renewing its lease (killed) before another takes it over. */
  leaseMs: number;
  httpTimeoutMs: number;
  maxDownloadBytes: number;
  /** Files remote users send through create_upload: the most one may hold, and how long its URL (and then the file) lasts. */
  uploads: { maxBytes: number; expiryMs: number; maxOpenPerOwner: number; maxStoredBytesPerOwner: number };
  /** The most one local analysis may take before it is stopped (its own deadline scales with its audio). */
  analysisTimeoutMs: number;
  /** Longest audio file the local analyzer takes (its memory grows ~70 MB per hour of audio); 0 = no limit. */
  maxAnalysisHours: number;
  /** Test-only escape hatch: lets the local analyzer download from loopback fakes. */
  allowPrivateUrls: boolean;
  /** `cloudBaseUrl`: Hume's current Expression Measurement API (audio_expression, image_expression). */
  hume: ProviderConfig & { cloudBaseUrl: string };
  pyannote: ProviderConfig & { webhookSecret?: string };
  hamsa: ProviderConfig & { projectId?: string };
  humanstandard: ProviderConfig & { webhookSecret?: string };
}

export interface CliFlags {
  http: boolean;
  host?: string;
  port?: number;
  /** Positional arguments: more allowed directories, as the MCP filesystem server takes them. */
  dirs?: string[];
}

export class ConfigError extends Error {}

export function parseArgs(argv: string[]): CliFlags & { help: boolean; version: boolean } {
  const flags: CliFlags & { help: boolean; version: boolean } = { http: false, help: false, version: false };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    const [name, inlineValue] = argument.split("=", 2) as [string, string | undefined];
    const takeValue = (): string => {
      const value = inlineValue ?? argv[++index];
      if (value === undefined) throw new ConfigError(`${name} needs a value`);
      return value;
    };
    switch (name) {
      case "--http":
        flags.http = true;
        break;
      case "--host":
        // An IPv6 address is written in brackets in URLs ([::1]); listen() wants it bare.
        flags.host = takeValue().replace(/^\[(.*)\]$/, "$1");
        break;
      case "--port": {
        const value = Number(takeValue());
        if (!Number.isInteger(value) || value < 0 || value > 65_535) {
          throw new ConfigError("--port must be an integer from 0 to 65535");
        }
        flags.port = value;
        break;
      }
      case "--help":
      case "-h":
        flags.help = true;
        break;
      case "--version":
        flags.version = true;
        break;
      default:
        if (argument.startsWith("-")) throw new ConfigError(`unknown argument ${argument} (try --help)`);
        (flags.dirs ??= []).push(argument);
    }
  }
  // Over stdio there is nothing to bind: a port or host given there is a mistake to point out,
  // not to ignore (the client would wait on stdio while the user expects a port to listen).
  if (!flags.http && !flags.help && !flags.version) {
    const stray = [flags.port !== undefined && "--port", flags.host !== undefined && "--host"].filter(Boolean);
    if (stray.length > 0) {
      throw new ConfigError(
        `${stray.join(" and ")} ${stray.length > 1 ? "apply" : "applies"} only with --http (stdio is the default): add --http to serve Streamable HTTP`,
      );
    }
  }
  return flags;
}

function oauthSettings(e: z.output<typeof envSchema>, publicUrl: string | undefined): Config["oauth"] {
  if (!e.MEDIA_JOBS_OAUTH_ISSUER) {
    const stray = (["MEDIA_JOBS_OAUTH_AUDIENCE", "MEDIA_JOBS_OAUTH_JWKS_URL"] as const).find((name) => e[name]);
    if (stray) throw new ConfigError(`${stray} is set but MEDIA_JOBS_OAUTH_ISSUER is not: set the identity provider's issuer too`);
    return undefined;
  }
  // One way to authenticate: a static token beside user tokens would be a back door around scopes.
  if (e.MEDIA_JOBS_HTTP_TOKEN) {
    throw new ConfigError("MEDIA_JOBS_HTTP_TOKEN and MEDIA_JOBS_OAUTH_ISSUER are both set: use the static token (one person) or OAuth (a team), not both");
  }
  // RFC 8707: tokens are bound to this server's MCP endpoint, which only the operator can name.
  const audience = e.MEDIA_JOBS_OAUTH_AUDIENCE ?? (publicUrl ? `${publicUrl}/mcp` : undefined);
  if (!audience) {
    throw new ConfigError("MEDIA_JOBS_OAUTH_ISSUER needs this server's public address: set MEDIA_JOBS_PUBLIC_URL (the audience is then its /mcp) or MEDIA_JOBS_OAUTH_AUDIENCE");
  }
  return { issuer: e.MEDIA_JOBS_OAUTH_ISSUER, audience, jwksUrl: e.MEDIA_JOBS_OAUTH_JWKS_URL };
}

export function loadConfig(env: NodeJS.ProcessEnv, flags: CliFlags = { http: false }): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${String(issue.path[0])} ${issue.message}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.MEDIA_JOBS_DATA_DIR ?? path.join(os.homedir(), ".media-jobs-mcp"));
  const allowedDirs = [...(e.MEDIA_JOBS_ALLOWED_DIRS ?? "").split(path.delimiter), ...(flags.dirs ?? [])]
    .map((dir) => dir.trim())
    .filter(Boolean)
    .map((dir) => path.resolve(dir.replace(/^~(?=$|[\\/])/, os.homedir())));
  const publicUrl = e.MEDIA_JOBS_PUBLIC_URL?.replace(/\/+$/, "");
  return {
    dataDir,
    ...(e.MEDIA_JOBS_DATABASE_URL !== undefined ? { databaseUrl: e.MEDIA_JOBS_DATABASE_URL } : {}),
    allowedDirs,
    logLevel: e.MEDIA_JOBS_LOG_LEVEL ?? "info",
    publicUrl,
    http: {
      enabled: flags.http,
      host: flags.host ?? "127.0.0.1",
      port: flags.port ?? 3000,
      token: e.MEDIA_JOBS_HTTP_TOKEN,
      maxSessions: Math.max(1, e.MEDIA_JOBS_HTTP_MAX_SESSIONS),
      maxSessionsPerPrincipal: Math.max(1, Math.min(e.MEDIA_JOBS_HTTP_MAX_SESSIONS_PER_CLIENT, e.MEDIA_JOBS_HTTP_MAX_SESSIONS)),
    },
    oauth: oauthSettings(e, publicUrl),
    poll: { initialDelayMs: e.MEDIA_JOBS_POLL_INITIAL_MS, maxDelayMs: e.MEDIA_JOBS_POLL_MAX_MS },
    leaseMs: Math.max(1_000, e.MEDIA_JOBS_LEASE_MS),
    httpTimeoutMs: e.MEDIA_JOBS_HTTP_TIMEOUT_MS,
    maxDownloadBytes: e.MEDIA_JOBS_MAX_DOWNLOAD_MB * 1024 * 1024,
    uploads: {
      maxBytes: Math.max(1, e.MEDIA_JOBS_MAX_UPLOAD_MB) * 1024 * 1024,
      expiryMs: Math.max(1, e.MEDIA_JOBS_UPLOAD_EXPIRY_S) * 1000,
      maxOpenPerOwner: Math.max(1, e.MEDIA_JOBS_MAX_UPLOADS_PER_USER),
      maxStoredBytesPerOwner: Math.max(1, e.MEDIA_JOBS_MAX_UPLOAD_STORAGE_MB_PER_USER) * 1024 * 1024,
    },
    analysisTimeoutMs: e.MEDIA_JOBS_ANALYSIS_TIMEOUT_S * 1000,
    maxAnalysisHours: e.MEDIA_JOBS_MAX_ANALYSIS_HOURS,
    allowPrivateUrls: e.MEDIA_JOBS_ALLOW_PRIVATE_URLS === "1",
    hume: { apiKey: e.HUME_API_KEY, baseUrl: e.HUME_BASE_URL, cloudBaseUrl: e.HUME_CLOUD_BASE_URL },
    pyannote: {
      apiKey: e.PYANNOTEAI_API_KEY,
      baseUrl: e.PYANNOTEAI_BASE_URL,
      webhookSecret: e.PYANNOTEAI_WEBHOOK_SECRET,
    },
    hamsa: { apiKey: e.HAMSA_API_KEY, baseUrl: e.HAMSA_BASE_URL, projectId: e.HAMSA_PROJECT_ID },
    humanstandard: {
      apiKey: e.HUMANSTANDARD_API_KEY,
      baseUrl: e.HUMANSTANDARD_BASE_URL,
      webhookSecret: e.HUMANSTANDARD_WEBHOOK_SECRET,
    },
  };
}
