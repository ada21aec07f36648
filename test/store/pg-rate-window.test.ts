// The vendor request window replicas share, on the PostgreSQL here: concurrent takes from
// several connection pools (replicas) never get more than the limit, background takes leave
// the reserve, the window slides on the store's clock, and a full window says when to come back.

import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgRateWindow, PG_RATE_WINDOW_MIGRATION } from "../../src/store/pg-rate-window.js";

const ADMIN_URL = process.env.MEDIA_JOBS_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `rate_window_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const pools: pg.Pool[] = [];

function replicaPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: ADMIN_URL, max: 4, options: `-c search_path=${schema}` });
  pools.push(pool);
  return pool;
}

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`SET search_path = ${schema}`);
  await admin.query(PG_RATE_WINDOW_MIGRATION);
  await admin.end();
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

describe("PostgreSQL rate window", () => {
  it("grants exactly `limit` slots to 60 takes racing from three replicas, and tells the rest when the window frees one", async () => {
    const clock = { now: 1_000_000 };
    const replicas = [replicaPool(), replicaPool(), replicaPool()].map((pool) => createPgRateWindow(pool, { now: () => clock.now }));
    const answers = await Promise.all(Array.from({ length: 60 }, (_, index) => replicas[index % 3]!.take("race", 10, 60_000)));
    expect(answers.filter((answer) => answer.granted)).toHaveLength(10);
    for (const answer of answers) if (!answer.granted) expect(answer.retryAfterMs).toBeGreaterThan(0);
    // All ten went at the same instant: the whole window must pass before the next.
    const later = await replicas[0]!.take("race", 10, 60_000);
    expect(later).toEqual({ granted: false, retryAfterMs: 60_000 });
    clock.now += 60_000;
    expect(await replicas[1]!.take("race", 10, 60_000)).toEqual({ granted: true });
  });

  it("slides: a slot is free again exactly one window after it was taken, oldest first", async () => {
    const clock = { now: 5_000_000 };
    const window = createPgRateWindow(replicaPool(), { now: () => clock.now });
    expect(await window.take("slide", 2, 1_000)).toEqual({ granted: true });
    clock.now += 400;
    expect(await window.take("slide", 2, 1_000)).toEqual({ granted: true });
    clock.now += 100;
    expect(await window.take("slide", 2, 1_000)).toEqual({ granted: false, retryAfterMs: 500 });
    clock.now += 500;
    expect(await window.take("slide", 2, 1_000)).toEqual({ granted: true });
    expect(await window.take("slide", 2, 1_000)).toEqual({ granted: false, retryAfterMs: 400 });
  });

  it("keeps the last `keepFree` slots from background takes, cluster-wide, and says when enough are free", async () => {
    const clock = { now: 9_000_000 };
    const [a, b] = [replicaPool(), replicaPool()].map((pool) => createPgRateWindow(pool, { now: () => clock.now }));
    expect(await a!.take("reserve", 4, 60_000, 1)).toEqual({ granted: true });
    clock.now += 1_000;
    expect(await b!.take("reserve", 4, 60_000, 1)).toEqual({ granted: true });
    clock.now += 1_000;
    expect(await a!.take("reserve", 4, 60_000, 1)).toEqual({ granted: true });
    // Three of four taken: the last one is the user's, on either replica.
    expect(await b!.take("reserve", 4, 60_000, 1)).toEqual({ granted: false, retryAfterMs: 58_000 });
    expect(await b!.take("reserve", 4, 60_000)).toEqual({ granted: true });
    // Now two must leave before background may go again.
    expect(await a!.take("reserve", 4, 60_000, 1)).toEqual({ granted: false, retryAfterMs: 59_000 });
  });

  it("runs on the database's clock when none is injected", async () => {
    const window = createPgRateWindow(replicaPool());
    expect(await window.take("db-clock", 1, 60_000)).toEqual({ granted: true });
    const refused = await window.take("db-clock", 1, 60_000);
    expect(refused.granted).toBe(false);
    if (!refused.granted) expect(refused.retryAfterMs).toBeGreaterThan(55_000);
  });
});
