// The UploadStore contract on SQLite: two store handles on one data dir are two processes.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openSqliteJobStore } from "../../src/store/sqlite-store.js";
import { describeUploadStoreContract } from "./upload-store-contract.js";

describeUploadStoreContract("SQLite store", {
  async open() {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-uploads-store-"));
    const first = await openSqliteJobStore(dataDir);
    const second = await openSqliteJobStore(dataDir);
    return {
      first: first.uploads,
      second: second.uploads,
      async close() {
        await first.close();
        await second.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
});
