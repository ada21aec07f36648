// The store contract on the SQLite store: a data dir per place; two handles on one data dir are
// two processes sharing it (as Claude Desktop and Claude Code each start a server).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll } from "vitest";
import { openSqliteJobStore } from "../../src/store/sqlite-store.js";
import { describeStoreContract } from "./store-contract.js";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-store-contract-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
let counter = 0;

describeStoreContract("SQLite store", {
  async place() {
    return path.join(work, `place-${++counter}`);
  },
  async open(place, options = {}) {
    return openSqliteJobStore(place, options);
  },
  async damageJob(place, id) {
    const db = new DatabaseSync(path.join(place, "jobs.sqlite"));
    try {
      db.prepare(`UPDATE jobs SET data = '{"id": "not a job"' WHERE id = ?`).run(id);
    } finally {
      db.close();
    }
  },
  hearsOtherHandles: false,
});
