// A job that reads an uploaded file, resumed where that file is missing (another replica's
// machine, a cleared temporary directory): the adapter finds it again, written from the store.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Job } from "../../src/jobs/job.js";
import { createLogger } from "../../src/logger.js";
import type { ProviderAdapter } from "../../src/providers/provider.js";
import { openSqliteJobStore } from "../../src/store/sqlite-store.js";
import type { JobStore } from "../../src/store/store.js";
import { UploadService } from "../../src/uploads/upload-service.js";

const dirs: string[] = [];
const stores: JobStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function service(): Promise<UploadService> {
  const store = await openSqliteJobStore(tempDir("mjm-upload-service-"));
  stores.push(store);
  return new UploadService(store, { maxBytes: 1024 * 1024, expiryMs: 60_000, maxOpenPerOwner: 20, maxStoredBytesPerOwner: 2048 * 1024 * 1024, logger: createLogger({ level: "error", secrets: [], write: () => undefined }), filesRoot: tempDir("mjm-upload-files-") });
}

describe("upload files for resumed jobs", () => {
  it("writes a consumed upload's file again from the store before the adapter looks at its job, and leaves other paths alone", async () => {
    const uploads = await service();
    const created = await uploads.create("alice", "talk one.wav", "http://127.0.0.1:1");
    const receiver = await uploads.beginReceive(created.id, created.url.split("/").pop()!, undefined, "audio/wav");
    if ("status" in receiver) throw new Error(receiver.message);
    const bytes = Buffer.from("RIFF....WAVEfmt data and some more bytes");
    expect(await receiver.write(bytes)).toBe("ok");
    await receiver.finish();
    const input = await uploads.take(created.id, "alice");
    expect(fs.readFileSync(input.path).equals(bytes)).toBe(true);
    await uploads.attach(created.id, "local:job-1");

    // This machine lost the file (another replica resumes the job, or /tmp was cleared).
    fs.rmSync(path.dirname(input.path), { recursive: true, force: true });
    const seen: Array<Buffer | undefined> = [];
    const adapter = {
      id: "local",
      async get(_nativeId: string, job: Job | undefined) {
        seen.push(job?.inputs[0]?.kind === "path" && fs.existsSync(job.inputs[0].path) ? fs.readFileSync(job.inputs[0].path) : undefined);
        return { nativeId: "job-1", status: "running", providerStatus: "running" };
      },
    } as unknown as ProviderAdapter;
    const job = { id: "local:job-1", owner: "alice", inputs: [input, { kind: "path", path: "/elsewhere/x.wav", name: "x.wav" }] } as unknown as Job;
    await uploads.withFiles(adapter).get("job-1", job, {});
    expect(seen[0]?.equals(bytes)).toBe(true);

    // Another owner's job naming that path gets nothing written.
    fs.rmSync(path.dirname(input.path), { recursive: true, force: true });
    await uploads.withFiles(adapter).get("job-1", { ...job, owner: "bob" } as Job, {});
    expect(seen[1]).toBeUndefined();
  });

  it("gives a job resumed on a machine whose temporary directory is elsewhere its upload there, written from the store", async () => {
    const uploads = await service();
    const created = await uploads.create("alice", "talk.wav", "http://127.0.0.1:1");
    const receiver = await uploads.beginReceive(created.id, created.url.split("/").pop()!, undefined, "audio/wav");
    if ("status" in receiver) throw new Error(receiver.message);
    const bytes = Buffer.from("RIFF....WAVEfmt the bytes of another machine's job");
    expect(await receiver.write(bytes)).toBe("ok");
    await receiver.finish();
    const taken = await uploads.take(created.id, "alice");
    await uploads.attach(created.id, "local:job-2");
    fs.rmSync(path.dirname(taken.path), { recursive: true, force: true });

    // The server that started the job kept its uploads under another root (its own TMPDIR).
    const root = path.dirname(path.dirname(taken.path));
    const elsewhere = path.join("/srv/other-machine/tmp", path.basename(root), created.id, "talk.wav");
    const seen: Job[] = [];
    const adapter = {
      id: "local",
      async get(_nativeId: string, job: Job | undefined) {
        seen.push(job!);
        return { nativeId: "job-2", status: "running", providerStatus: "running" };
      },
    } as unknown as ProviderAdapter;
    const job = { id: "local:job-2", owner: "alice", inputs: [{ ...taken, path: elsewhere }] } as unknown as Job;
    await uploads.withFiles(adapter).get("job-2", job, {});
    const input = seen[0]!.inputs[0]!;
    expect(input).toMatchObject({ kind: "path", path: path.join(root, created.id, "talk.wav"), name: "talk.wav" });
    expect(fs.readFileSync((input as { path: string }).path).equals(bytes)).toBe(true);
  });
});
