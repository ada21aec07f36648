// A data dir from before voiceprints had owners: each existing voiceprint takes the owner of
// the job that made it, and is then visible to that owner only (unscoped readers see all).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS, openSqliteJobStore } from "../../src/store/sqlite-store.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe("voiceprint owners", () => {
  it("migrates existing voiceprints to the owner of their source job", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-store-vp-"));
    dirs.push(dir);
    const scoping = MIGRATIONS.findIndex((migration) => migration.includes("voiceprints_owned"));
    expect(scoping).toBeGreaterThan(0);
    const legacy = new DatabaseSync(path.join(dir, "jobs.sqlite"));
    legacy.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    for (const [index, migration] of MIGRATIONS.slice(0, scoping).entries()) {
      legacy.exec(migration);
      legacy.prepare("INSERT INTO schema_migrations VALUES (?, 't')").run(index + 1);
    }
    legacy.prepare("INSERT INTO jobs (id, provider, task, status, owner, created_at, needs_poll, data) VALUES ('pyannote:a', 'pyannote', 'voiceprint', 'succeeded', 'token:aaaa', 't', 0, '{}')").run();
    const insert = legacy.prepare("INSERT INTO voiceprints (label, provider, source_job_id, voiceprint, created_at) VALUES (?, 'pyannote', ?, ?, 't')");
    insert.run("alice", "pyannote:a", "VP-ALICE");
    insert.run("bob", "pyannote:gone", "VP-BOB");
    legacy.close();

    const store = openSqliteJobStore(dir);
    try {
      expect((await store.voiceprints.list("token:aaaa")).map((entry) => entry.label)).toEqual(["alice"]);
      expect(await store.voiceprints.list("token:bbbb")).toEqual([]);
      expect(await store.voiceprints.get("alice", "token:bbbb")).toBeUndefined();
      expect(await store.voiceprints.get("alice", "token:aaaa")).toBe("VP-ALICE");
      // A voiceprint whose job is gone belongs to no token: stdio (unscoped) still sees it.
      expect((await store.voiceprints.list("")).map((entry) => entry.label)).toEqual(["bob"]);
      expect((await store.voiceprints.list()).map((entry) => entry.label)).toEqual(["alice", "bob"]);
      expect(await store.voiceprints.delete("alice", "token:bbbb")).toBe(false);
      expect(await store.voiceprints.delete("alice", "token:aaaa")).toBe(true);
      // The same label under two owners is two voiceprints.
      await store.voiceprints.put("carol", "VP-1", { provider: "pyannote", sourceJobId: "pyannote:c1", owner: "token:aaaa" });
      await store.voiceprints.put("carol", "VP-2", { provider: "pyannote", sourceJobId: "pyannote:c2", owner: "token:bbbb" });
      expect(await store.voiceprints.get("carol", "token:aaaa")).toBe("VP-1");
      expect(await store.voiceprints.get("carol", "token:bbbb")).toBe("VP-2");
    } finally {
      await store.close();
    }
  });
});
