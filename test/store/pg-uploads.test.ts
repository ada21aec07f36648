// The UploadStore contract on PostgreSQL: two store handles (two pools) on one schema are two
// replicas. A database of this run's own, a schema per test, dropped at the end.

import crypto from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { openPgJobStore } from "../../src/store/pg-store.js";
import { describeUploadStoreContract } from "./upload-store-contract.js";

const SERVER = "postgres://postgres@127.0.0.1:5432";
const database = `mjm_uploads_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
let counter = 0;

async function onServer(statement: string): Promise<void> {
  const root = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await root.connect();
  try {
    await root.query(statement);
  } finally {
    await root.end();
  }
}

beforeAll(() => onServer(`CREATE DATABASE ${database}`));
afterAll(() => onServer(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));

describeUploadStoreContract("PostgreSQL store", {
  async open() {
    const place = `${SERVER}/${database}?schema=uploads_${++counter}`;
    const first = await openPgJobStore(place, { poolSize: 2 });
    const second = await openPgJobStore(place, { poolSize: 2 });
    return {
      first: first.uploads,
      second: second.uploads,
      async close() {
        await first.close();
        await second.close();
      },
    };
  },
});
