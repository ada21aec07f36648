// The UploadStore contract (src/store/upload-store.ts), one suite for every store: each store's
// test calls describeUploadStoreContract with a harness that opens two handles on one fresh
// place (two processes on one SQLite file, two replicas on one PostgreSQL database). What one
// handle stores the other reads; each state change happens once, whichever handle asks.

import { afterEach, describe, expect, it } from "vitest";
import { UPLOAD_CHUNK_BYTES, type UploadRecord, type UploadStore } from "../../src/store/upload-store.js";

export interface UploadStoreHarness {
  /** Two handles on one new, empty place, and how to close them. */
  open(): Promise<{ first: UploadStore; second: UploadStore; close(): Promise<void> }>;
}

function upload(id: string, overrides: Partial<UploadRecord> = {}): UploadRecord {
  return {
    id,
    owner: "alice",
    secretHash: "a".repeat(64),
    filename: "talk.mp3",
    maxBytes: 10 * UPLOAD_CHUNK_BYTES,
    state: "pending",
    bytes: 0,
    createdAt: 1_000,
    expiresAt: 10_000,
    ...overrides,
  };
}

async function readAll(store: UploadStore, id: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of store.readChunks(id)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export function describeUploadStoreContract(name: string, harness: UploadStoreHarness): void {
  describe(`${name}: UploadStore contract`, () => {
    let close: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await close?.();
      close = undefined;
    });
    const open = async () => {
      const handles = await harness.open();
      close = handles.close;
      return handles;
    };

    it("keeps a record and its chunks for every handle, and shows it to its owner only when asked by owner", async () => {
      const { first, second } = await open();
      await first.create(upload("up_1"));
      expect(await second.get("up_1")).toEqual(upload("up_1"));
      expect(await second.get("up_1", "alice")).toMatchObject({ id: "up_1", state: "pending" });
      expect(await second.get("up_1", "bob")).toBeUndefined();
      expect(await second.get("up_2")).toBeUndefined();
    });

    it("gives the one PUT to one handle only, with the right secret hash, before expiry", async () => {
      const { first, second } = await open();
      await first.create(upload("up_1"));
      expect(await first.beginReceiving("up_1", "b".repeat(64), 2_000)).toBeUndefined();
      expect(await first.beginReceiving("up_1", "a".repeat(64), 10_000)).toBeUndefined();
      const [one, other] = await Promise.all([first.beginReceiving("up_1", "a".repeat(64), 2_000), second.beginReceiving("up_1", "a".repeat(64), 2_000)]);
      expect([one, other].filter(Boolean)).toHaveLength(1);
      expect((one ?? other)!.state).toBe("receiving");
    });

    it("stores chunks in order, byte for byte, and completes with the size, content type and new expiry", async () => {
      const { first, second } = await open();
      await first.create(upload("up_1"));
      await first.beginReceiving("up_1", "a".repeat(64), 2_000);
      const pieces = [Buffer.alloc(UPLOAD_CHUNK_BYTES, 1), Buffer.alloc(UPLOAD_CHUNK_BYTES, 2), Buffer.from([0, 255, 3, 0])];
      for (const [index, piece] of pieces.entries()) expect(await first.appendChunk("up_1", index, piece)).toBe("stored");
      expect((await second.get("up_1"))!.bytes).toBe(2 * UPLOAD_CHUNK_BYTES + 4);
      await first.finishReceiving("up_1", 2 * UPLOAD_CHUNK_BYTES + 4, 50_000, "audio/mpeg");
      expect(await second.get("up_1")).toMatchObject({ state: "complete", bytes: 2 * UPLOAD_CHUNK_BYTES + 4, expiresAt: 50_000, contentType: "audio/mpeg" });
      expect((await readAll(second, "up_1")).equals(Buffer.concat(pieces))).toBe(true);
      // Complete: no more chunks, no second PUT.
      expect(await first.appendChunk("up_1", 3, Buffer.from("x"))).toBe("gone");
      expect(await second.beginReceiving("up_1", "a".repeat(64), 2_000)).toBeUndefined();
    });

    it("drops an aborted PUT's chunks and makes the upload pending again; a complete upload's chunks are not touched by a stray abort", async () => {
      const { first, second } = await open();
      await first.create(upload("up_1"));
      await first.beginReceiving("up_1", "a".repeat(64), 2_000);
      await first.appendChunk("up_1", 0, Buffer.alloc(1_000, 9));
      await second.abortReceiving("up_1");
      expect(await first.get("up_1")).toMatchObject({ state: "pending", bytes: 0 });
      expect(await readAll(first, "up_1")).toEqual(Buffer.alloc(0));
      expect(await first.appendChunk("up_1", 0, Buffer.from("late"))).toBe("gone");

      await first.beginReceiving("up_1", "a".repeat(64), 2_000);
      await first.appendChunk("up_1", 0, Buffer.from("whole"));
      await first.finishReceiving("up_1", 5, 50_000);
      await second.abortReceiving("up_1");
      expect((await readAll(first, "up_1")).toString()).toBe("whole");
    });

    it("consumes a complete upload once, for its owner, before expiry; gives it back; names its job", async () => {
      const { first, second } = await open();
      await first.create(upload("up_1"));
      expect(await first.consume("up_1", "alice", 2_000)).toBeUndefined(); // not complete yet
      await first.beginReceiving("up_1", "a".repeat(64), 2_000);
      await first.appendChunk("up_1", 0, Buffer.from("data"));
      await first.finishReceiving("up_1", 4, 50_000);
      expect(await second.consume("up_1", "bob", 2_000)).toBeUndefined();
      expect(await second.consume("up_1", "alice", 50_000)).toBeUndefined();
      const [one, other] = await Promise.all([first.consume("up_1", "alice", 3_000), second.consume("up_1", "alice", 3_000)]);
      expect([one, other].filter(Boolean)).toHaveLength(1);
      expect((one ?? other)!).toMatchObject({ state: "consumed", consumedAt: 3_000 });

      await second.unconsume("up_1");
      expect(await first.get("up_1")).toMatchObject({ state: "complete" });
      expect((await first.get("up_1"))!.consumedAt).toBeUndefined();
      await first.consume("up_1", "alice", 4_000);
      await second.attachJob("up_1", "local:abc");
      expect(await first.get("up_1")).toMatchObject({ state: "consumed", jobId: "local:abc" });
      expect((await readAll(second, "up_1")).toString()).toBe("data");
    });

    it("counts an owner's uploads not yet settled and their bytes: expired unused ones are out, consumed ones in; other owners apart", async () => {
      const { first, second } = await open();
      expect(await second.usage("alice", 2_000)).toEqual({ open: 0, bytes: 0 });
      await first.create(upload("up_pending", { expiresAt: 8_000 }));
      await first.create(upload("up_expired", { expiresAt: 1_500 }));
      await first.create(upload("up_receiving", { expiresAt: 9_000 }));
      await first.beginReceiving("up_receiving", "a".repeat(64), 1_000);
      await first.appendChunk("up_receiving", 0, Buffer.alloc(300));
      await first.create(upload("up_used", { expiresAt: 7_000 }));
      await first.beginReceiving("up_used", "a".repeat(64), 1_000);
      await first.appendChunk("up_used", 0, Buffer.alloc(1_000));
      await first.finishReceiving("up_used", 1_000, 6_000);
      await first.consume("up_used", "alice", 1_200);
      await first.create(upload("up_done", { expiresAt: 7_000 }));
      await first.beginReceiving("up_done", "a".repeat(64), 1_000);
      await first.appendChunk("up_done", 0, Buffer.alloc(20));
      await first.finishReceiving("up_done", 20, 5_000);
      await first.create(upload("up_bob", { owner: "bob", expiresAt: 9_000 }));

      // The consumed upload's expiry (6_000) is not "when the oldest expires": it frees when its job settles.
      expect(await second.usage("alice", 2_000)).toEqual({ open: 4, bytes: 1_320, oldestExpiresAt: 5_000 });
      // Past their expiry the unused ones no longer count; receiving and consumed still do.
      expect(await second.usage("alice", 8_500)).toEqual({ open: 2, bytes: 1_300, oldestExpiresAt: 9_000 });
      expect(await second.usage("bob", 2_000)).toEqual({ open: 1, bytes: 0, oldestExpiresAt: 9_000 });
      expect(await second.usage("carol", 2_000)).toEqual({ open: 0, bytes: 0 });
    });

    it("refuses a chunk past the owner's byte quota, storing nothing of it; counts every upload of the owner, not another's", async () => {
      const { first, second } = await open();
      const quota = { maxBytes: 1_000, now: 2_000 };
      for (const id of ["up_a", "up_b"]) {
        await first.create(upload(id));
        await first.beginReceiving(id, "a".repeat(64), 2_000);
      }
      await first.create(upload("up_bob", { owner: "bob" }));
      await first.beginReceiving("up_bob", "a".repeat(64), 2_000);
      expect(await first.appendChunk("up_a", 0, Buffer.alloc(600), quota)).toBe("stored");
      expect(await second.appendChunk("up_b", 0, Buffer.alloc(401), quota)).toBe("over-quota");
      expect(await second.appendChunk("up_b", 0, Buffer.alloc(400), quota)).toBe("stored");
      expect(await first.appendChunk("up_a", 1, Buffer.alloc(1), quota)).toBe("over-quota");
      expect(await second.appendChunk("up_bob", 0, Buffer.alloc(1_000), quota)).toBe("stored");
      expect(await first.usage("alice", 2_000)).toMatchObject({ bytes: 1_000 });
      expect((await readAll(first, "up_a")).length).toBe(600);
      // A refused chunk of an upload no longer receiving is "gone", quota or not.
      expect(await first.appendChunk("up_gone", 0, Buffer.alloc(1), quota)).toBe("gone");
    });

    it("lets chunks of one owner racing on both handles together store no more than the quota", async () => {
      const { first, second } = await open();
      const ids = Array.from({ length: 6 }, (_, index) => `up_${index}`);
      for (const id of ids) {
        await first.create(upload(id));
        await first.beginReceiving(id, "a".repeat(64), 2_000);
      }
      const quota = { maxBytes: 2_500, now: 2_000 };
      const results = await Promise.all(
        ids.flatMap((id, index) => [0, 1].map((seq) => (index % 2 === 0 ? first : second).appendChunk(id, seq, Buffer.alloc(500), quota))),
      );
      expect(results.filter((result) => result === "stored")).toHaveLength(5);
      expect(results.filter((result) => result === "over-quota")).toHaveLength(7);
      expect(await second.usage("alice", 2_000)).toMatchObject({ bytes: 2_500 });
    });

    it("lists for the sweep the expired unused uploads, stalled PUTs and every consumed upload; delete takes the chunks too", async () => {
      const { first, second } = await open();
      await first.create(upload("up_expired", { expiresAt: 5_000 }));
      await first.create(upload("up_fresh", { expiresAt: 20_000 }));
      await first.create(upload("up_stalled", { expiresAt: 5_000 }));
      await first.beginReceiving("up_stalled", "a".repeat(64), 2_000);
      await first.appendChunk("up_stalled", 0, Buffer.from("part"));
      await first.create(upload("up_receiving", { expiresAt: 9_000 }));
      await first.beginReceiving("up_receiving", "a".repeat(64), 2_000);
      await first.create(upload("up_used"));
      await first.beginReceiving("up_used", "a".repeat(64), 2_000);
      await first.finishReceiving("up_used", 0, 50_000);
      await first.consume("up_used", "alice", 3_000);

      const listed = (await second.listForSweep(10_000, 6_000)).map((record) => record.id).sort();
      expect(listed).toEqual(["up_expired", "up_stalled", "up_used"]);
      await second.delete("up_stalled");
      expect(await first.get("up_stalled")).toBeUndefined();
      expect(await readAll(first, "up_stalled")).toEqual(Buffer.alloc(0));
    });
  });
}
