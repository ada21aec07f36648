// What every handler receives. AppContext lives as long as the process; SessionContext is one
// MCP session (one client connection over stdio, or one Streamable HTTP session).

import type { Config } from "./config.js";
import type { JobService } from "./jobs/job-service.js";
import type { Logger } from "./logger.js";
import type { ProviderRegistry } from "./providers/registry.js";
import type { JobStore } from "./store/store.js";
import type { UploadService } from "./uploads/upload-service.js";

export interface AppContext {
  config: Config;
  store: JobStore;
  jobs: JobService;
  providers: ProviderRegistry;
  logger: Logger;
  version: string;
  /** Files remote users send with create_upload (HTTP mode). */
  uploads: UploadService;
}

export interface SessionContext {
  /** The authenticated principal (HTTP mode with a token); undefined over stdio. */
  owner?: string;
  /** Directories local paths may come from: configured dirs plus the client's roots. */
  allowedDirs(): Promise<string[]>;
  transport: "stdio" | "http";
  /** Aborted when the server begins a graceful stop: waits end with the job as it stands. */
  shutdown?: AbortSignal;
}
