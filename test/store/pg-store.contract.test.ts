// The store contract on the PostgreSQL here (127.0.0.1:5432, trust auth): a database of this
// run's own, one schema per test (?schema=), dropped at the end. Then what only PostgreSQL
// has: migrations shared by replicas, the URL's schema, the database clock, the LISTEN
// connection coming back, and one-line errors for a database that cannot be used.

import crypto from "node:crypto";
import net from "node:net";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { JobStore } from "../../src/store/store.js";
import { PG_MIGRATIONS } from "../../src/store/pg-migrations.js";
import { openPgJobStore } from "../../src/store/pg-store.js";
import { StoreUnavailableError, UserInputError } from "../../src/errors.js";
import { StoreOpenError } from "../../src/store/store-open-error.js";
import { describeStoreContract, eventually, job } from "./store-contract.js";

const SERVER = "postgres://postgres@127.0.0.1:5432";
const database = `mjm_store_${process.pid}_${crypto.randomBytes(3).toString("hex")}`;
let admin: pg.Pool;
let counter = 0;

beforeAll(async () => {
  const root = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await root.connect();
  await root.query(`CREATE DATABASE ${database}`);
  await root.end();
  admin = new pg.Pool({ connectionString: `${SERVER}/${database}`, max: 2 });
});

afterAll(async () => {
  await admin?.end();
  const root = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await root.connect();
  await root.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await root.end();
});

/** Changes made while a listener reconnects are not heard: inserts a job every 100 ms until one is. */
async function writeUntilHeard(writer: JobStore, heard: string[], prefix: string): Promise<void> {
  for (let written = 1; heard.length === 0; written++) {
    if (written > 100) throw new Error("no change heard in 10 s");
    await writer.insertJob(job(`pyannote:${prefix}-${written}`, "2026-01-01T00:00:00.000Z"));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const schemaOf = (place: string) => new URL(place).searchParams.get("schema")!;

describeStoreContract("PostgreSQL store", {
  async place() {
    return `${SERVER}/${database}?schema=contract_${++counter}`;
  },
  open(place, options = {}) {
    return openPgJobStore(place, { ...options, poolSize: 4 });
  },
  async damageJob(place, id) {
    await admin.query(`UPDATE ${schemaOf(place)}.jobs SET data = '{"id": "not a job"' WHERE id = $1`, [id]);
  },
  hearsOtherHandles: true,
});

describe("PostgreSQL store: replicas on one database", () => {
  const stores: JobStore[] = [];
  const open = async (place: string) => {
    const store = await openPgJobStore(place, { poolSize: 4 });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  });

  it("records each migration once when three replicas start together, in the schema the URL names", async () => {
    const schema = `replicas_${++counter}`;
    const place = `${SERVER}/${database}?schema=${schema}`;
    await Promise.all([open(place), open(place), open(place)]);
    const { rows } = await admin.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
    expect(rows.map((row) => row.version)).toEqual(PG_MIGRATIONS.map((_, index) => index + 1));
    const tables = await admin.query<{ table_schema: string }>("SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'jobs'");
    expect(tables.rows.map((row) => row.table_schema)).toContain(schema);
    expect(tables.rows.map((row) => row.table_schema)).not.toContain("public");
  });

  it("also lives where the URL's own search_path option puts it", async () => {
    const schema = `search_path_${++counter}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    const store = await open(`${SERVER}/${database}?options=${encodeURIComponent(`-c search_path=${schema}`)}`);
    await store.insertJob(job("pyannote:here", "2026-01-01T00:00:00.000Z"));
    const { rows } = await admin.query<{ id: string }>(`SELECT id FROM ${schema}.jobs`);
    expect(rows.map((row) => row.id)).toEqual(["pyannote:here"]);
  });

  it("runs leases on the database's clock when no clock is given: an expired lease goes to the other replica", async () => {
    const place = `${SERVER}/${database}?schema=clock_${++counter}`;
    const processA = await open(place);
    const processB = await open(place);
    await processA.insertJob(job("pyannote:a", "2026-01-01T00:00:00.000Z"));
    expect(await processA.claimJob("pyannote:a", "A", 300)).toBe(true);
    expect(await processB.claimJob("pyannote:a", "B", 60_000)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await processB.claimJob("pyannote:a", "B", 60_000)).toBe(true);
    expect(await processA.claimJob("pyannote:a", "A", 60_000)).toBe(false);
  });

  it("completes nothing for a NUL prefix, and refuses other NUL text as the caller's input", async () => {
    const store = await open(`${SERVER}/${database}?schema=nul_${++counter}`);
    await store.insertJob(job("pyannote:a", "2026-01-01T00:00:00.000Z"));
    expect(await store.completeJobIds("pyannote:\u0000", 1)).toEqual([]);
    await expect(store.getJob("pyannote:a\u0000")).rejects.toThrow(UserInputError);
    expect((await store.getJob("pyannote:a"))?.id).toBe("pyannote:a");
  });

  it("hears other replicas again after its LISTEN connection was cut", async () => {
    const place = `${SERVER}/${database}?schema=listen_${++counter}`;
    const processA = await open(place);
    const processB = await open(place);
    const heard: string[] = [];
    let gaps = 0;
    processA.watchJobs(
      (id) => heard.push(id),
      () => gaps++,
    );
    const cut = await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'media-jobs-mcp (listen)'",
    );
    expect(cut.rowCount).toBe(2);
    await writeUntilHeard(processB, heard, "after");
    expect(heard[0]).toMatch(/^pyannote:after-\d+$/);
    // Whatever was committed while it was away is not replayed: its watchers are told to look again.
    expect(gaps).toBe(1);
  });
});

describe("PostgreSQL store: a database it cannot use", () => {
  /** The one line the CLI would print. */
  async function openFailure(url: string): Promise<string> {
    const error = await openPgJobStore(url).then(
      async (store) => {
        await store.close();
        throw new Error("opened");
      },
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(StoreOpenError);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }

  it("unreachable: says so with the host and port, never the password", async () => {
    const message = await openFailure("postgres://media:hunter2@127.0.0.1:1/media_jobs");
    expect(message).toMatch(/cannot reach the PostgreSQL database media@127\.0\.0\.1:1\/media_jobs/);
    expect(message).toContain("MEDIA_JOBS_DATABASE_URL");
    expect(message).not.toContain("hunter2");
  });

  it("a database that does not exist: says to create it", async () => {
    expect(await openFailure(`${SERVER}/${database}_missing`)).toMatch(/does not exist.*create it/);
  });

  it("written by a newer version: upgrade, or run apart; nothing is changed", async () => {
    const schema = `newer_${++counter}`;
    const place = `${SERVER}/${database}?schema=${schema}`;
    const store = await openPgJobStore(place);
    await store.close();
    await admin.query(`INSERT INTO ${schema}.schema_migrations (version) VALUES ($1)`, [PG_MIGRATIONS.length + 7]);
    const message = await openFailure(place);
    expect(message).toMatch(new RegExp(`newer media-jobs-mcp \\(schema ${PG_MIGRATIONS.length + 7}`));
    expect(message).toMatch(/upgrade/);
  });
});

/** A TCP relay to the PostgreSQL here that can go down (every connection cut, new ones refused) and come back. */
async function startRelay(): Promise<{ port: number; down(): void; up(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = net.connect(5432, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    down() {
      open = false;
      cut();
    },
    up() {
      open = true;
    },
    async close() {
      cut();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("PostgreSQL store: a database that goes away while the server runs", () => {
  it("answers with a typed error that says to try again, and works again when the database is back", async () => {
    const relay = await startRelay();
    const schema = `relay_${++counter}`;
    const store = await openPgJobStore(`postgres://postgres:hunter2@127.0.0.1:${relay.port}/${database}?schema=${schema}`, { poolSize: 2 });
    const direct = await openPgJobStore(`${SERVER}/${database}?schema=${schema}`, { poolSize: 2 });
    try {
      await store.insertJob(job("pyannote:a", "2026-01-01T00:00:00.000Z"));
      relay.down();
      const failure = await store.getJob("pyannote:a").then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as Error).message).toMatch(/^the job database \(PostgreSQL postgres@127\.0\.0\.1:\d+\/mjm_store_\w+ \(schema relay_\d+\)\) cannot be reached right now .*try again/);
      expect((failure as Error).message).not.toContain("hunter2");

      relay.up();
      expect((await store.getJob("pyannote:a"))?.id).toBe("pyannote:a");
      // Its LISTEN connection came back too: a change made through another replica is heard again.
      const heard: string[] = [];
      store.watchJobs((id) => heard.push(id));
      await writeUntilHeard(direct, heard, "back");
    } finally {
      await store.close();
      await direct.close();
      await relay.close();
    }
  });
});
