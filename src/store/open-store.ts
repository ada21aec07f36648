// Opens the job store the configuration names: node:sqlite in the data dir (the zero-setup
// default for one person). The PostgreSQL store for replicas joins here.

import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { openSqliteJobStore } from "./sqlite-store.js";
import type { JobStore } from "./store.js";

export interface StoreHooks {
  /** Told once per damaged job row found; the row is set aside and every other job goes on. */
  onDamagedJob(id: string, damage: string): void;
  logger: Logger;
}

export async function openJobStore(config: Config, hooks: StoreHooks): Promise<JobStore> {
  return openSqliteJobStore(config.dataDir, { onDamagedJob: hooks.onDamagedJob });
}
