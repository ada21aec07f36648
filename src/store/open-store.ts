// Opens the job store the configuration names: node:sqlite in the data dir (the zero-setup
// default for one person), or PostgreSQL when MEDIA_JOBS_DATABASE_URL is set (a team server,
// any number of replicas on one database).

import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { openPgJobStore } from "./pg-store.js";
import { openSqliteJobStore } from "./sqlite-store.js";
import type { JobStore } from "./store.js";

export interface StoreHooks {
  /** Told once per damaged job row found; the row is set aside and every other job goes on. */
  onDamagedJob(id: string, damage: string): void;
  logger: Logger;
}

export async function openJobStore(config: Config, hooks: StoreHooks): Promise<JobStore> {
  if (config.databaseUrl !== undefined) {
    return openPgJobStore(config.databaseUrl, { onDamagedJob: hooks.onDamagedJob, logger: hooks.logger });
  }
  return openSqliteJobStore(config.dataDir, { onDamagedJob: hooks.onDamagedJob });
}
