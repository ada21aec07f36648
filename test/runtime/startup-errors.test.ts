// What stops the server at start — a store it cannot use, a full disk, an address it cannot
// bind, a flag that does not apply — is one line on stderr (what is wrong, where, what to do)
// and a non-zero exit: no stack trace, nothing on stdout, and the store is never deleted or
// changed. Each case is a real child process of the built CLI.

import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS, openSqliteJobStore } from "../../src/store/sqlite-store.js";
import { assertBuilt, childEnv, CLI } from "../e2e/harness.js";
import { run, type Finished } from "./runtimes.js";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "mjm-startup-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let counter = 0;
const freshDir = (label: string) => path.join(work, `${label}-${++counter}`);

function startServer(dataDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<Finished> {
  assertBuilt();
  // stdin is closed: a server that does start serves stdio, sees the end and exits 0.
  return run(process.execPath, [CLI, ...args], { env: childEnv({ MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_LOG_LEVEL: "warning", ...env }) });
}

/** One line, no stack, non-zero exit; the line matches every pattern given. */
function expectOneLine(result: Finished, ...patterns: RegExp[]): string {
  expect(result.stdout).toBe("");
  expect(result.code, result.stderr).not.toBe(0);
  expect(result.code, result.stderr).not.toBeNull();
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^media-jobs-mcp: /);
  expect(lines[0]).not.toMatch(/\bat .*\.js:\d+|Error:/);
  for (const pattern of patterns) expect(lines[0]).toMatch(pattern);
  return lines[0]!;
}

const digest = (file: string) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const escape = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));

/** A real store with a job in it, closed (checkpointed into one file). */
async function healthyStore(dataDir: string): Promise<string> {
  const store = openSqliteJobStore(dataDir);
  await store.close();
  return path.join(dataDir, "jobs.sqlite");
}

describe("a job store the server cannot use", () => {
  let storeSize = 0;
  beforeAll(async () => {
    storeSize = fs.statSync(await healthyStore(freshDir("probe"))).size;
  });

  it.each([
    ["the first 100 bytes", (size: number) => Math.min(100, size - 1)],
    ["the first page", () => 4096],
    ["half of it", (size: number) => Math.floor(size / 2)],
  ])("truncated to %s: damaged, move it aside, never deleted", async (_label, keep) => {
    const dataDir = freshDir("truncated");
    const file = await healthyStore(dataDir);
    fs.truncateSync(file, keep(storeSize));
    const before = digest(file);
    const line = expectOneLine(await startServer(dataDir), /is damaged/, escape(file), /move .* aside/, /never deletes/);
    expect(line).toContain("MEDIA_JOBS_DATA_DIR");
    expect(digest(file)).toBe(before);
  });

  it("not a database at all: damaged, move it aside, never deleted", async () => {
    const dataDir = freshDir("notadb");
    fs.mkdirSync(dataDir);
    const file = path.join(dataDir, "jobs.sqlite");
    fs.writeFileSync(file, "these are someone's notes, not a database\n".repeat(200));
    const before = digest(file);
    expectOneLine(await startServer(dataDir), /is damaged/, escape(file), /move .* aside/, /never deletes/);
    expect(digest(file)).toBe(before);
  });

  it("a directory where the database file should be: says so, and leaves its contents", async () => {
    const dataDir = freshDir("dir");
    const file = path.join(dataDir, "jobs.sqlite");
    fs.mkdirSync(file, { recursive: true });
    fs.writeFileSync(path.join(file, "keep.txt"), "keep me");
    expectOneLine(await startServer(dataDir), /is a directory, not a database file/, escape(file), /move .* aside/);
    expect(fs.readFileSync(path.join(file, "keep.txt"), "utf8")).toBe("keep me");
  });

  it("the data directory is a file: says so, and leaves the file", async () => {
    const dataDir = freshDir("file");
    fs.writeFileSync(dataDir, "a file, not a folder");
    expectOneLine(await startServer(dataDir), /data directory .* is not a directory/, escape(dataDir), /move that file aside|MEDIA_JOBS_DATA_DIR/);
    expect(fs.readFileSync(dataDir, "utf8")).toBe("a file, not a folder");
  });

  it("written by a newer version: upgrade, or use another data directory; the store is unchanged", async () => {
    const dataDir = freshDir("newer");
    const file = await healthyStore(dataDir);
    const db = new DatabaseSync(file);
    db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(MIGRATIONS.length + 7, new Date().toISOString());
    db.close();
    const before = digest(file);
    expectOneLine(await startServer(dataDir), /newer media-jobs-mcp/, new RegExp(`schema ${MIGRATIONS.length + 7}`), escape(file), /upgrade/);
    expect(digest(file)).toBe(before);
  });
});

// A real full disk: a 1 MB tmpfs, filled, in a private mount namespace (nothing outside the
// child sees it). Needs unshare and user namespaces, which the CI container has.
const canMountTmpfs = (() => {
  if (process.platform !== "linux") return false;
  try {
    execFileSync("unshare", ["--user", "--map-root-user", "--mount", "sh", "-c", `mount -t tmpfs -o size=64k tmpfs "${os.tmpdir()}"`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!canMountTmpfs)("on a full disk", () => {
  /** Runs the server with its data dir on a full 1 MB filesystem; `prepare` runs there first. */
  function startOnFullDisk(prepare: string): Promise<Finished> {
    const mount = freshDir("full");
    fs.mkdirSync(mount);
    const script = [`mount -t tmpfs -o size=1m tmpfs "$1"`, prepare, `{ head -c 4194304 /dev/zero > "$1/filler" 2>/dev/null || true; }`, `exec "$2" "$3"`].join(" && ");
    const dataDir = path.join(mount, "data");
    return run("unshare", ["--user", "--map-root-user", "--mount", "sh", "-c", script, "sh", mount, process.execPath, CLI], {
      env: childEnv({ MEDIA_JOBS_DATA_DIR: dataDir, MEDIA_JOBS_LOG_LEVEL: "warning" }),
    });
  }

  it("a new data directory: the data directory is full (path)", async () => {
    const result = await startOnFullDisk("true");
    expectOneLine(result, /the data directory is full \(.*\/data\)/, /free some space/i);
  });

  it("an existing store: the data directory is full (path), and the store is unchanged", async () => {
    const source = await healthyStore(freshDir("source"));
    const before = digest(source);
    const result = await startOnFullDisk(`mkdir "$1/data" && cp "${source}" "$1/data/jobs.sqlite"`);
    expectOneLine(result, /the data directory is full \(.*\/data\)/);
    expect(digest(source)).toBe(before);
  });
});

describe("HTTP addresses and flags", () => {
  it("--host [::1] is the IPv6 loopback (brackets as in a URL), not an unknown host name", async () => {
    const dataDir = freshDir("ipv6");
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [CLI, "--http", "--port", "0", "--host", "[::1]"], {
      env: childEnv({ MEDIA_JOBS_DATA_DIR: dataDir }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    const listening = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 20_000);
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
        const match = /\{"listening":"([^"]+)"\}/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    expect(listening).toMatch(/^http:\/\/\[::1\]:\d+\/mcp$/);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  });

  it("a host name that does not resolve: one line naming it and what to give instead", async () => {
    const result = await startServer(freshDir("nohost"), ["--http", "--port", "0", "--host", "no-such-host.invalid"], { MEDIA_JOBS_HTTP_TOKEN: "t0ken-for-a-public-bind" });
    expectOneLine(result, /cannot listen on --host no-such-host\.invalid/, /127\.0\.0\.1/);
    expect(result.stderr).not.toContain("t0ken-for-a-public-bind");
  });

  it("a port in use: one line naming the address and --port", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const result = await startServer(freshDir("inuse"), ["--http", "--port", String(port)]);
      expectOneLine(result, new RegExp(`127\\.0\\.0\\.1:${port}`), /in use/, /--port/);
    } finally {
      blocker.close();
    }
  });

  it.each([["--port", "8080"], ["--host", "127.0.0.1"]])("%s without --http is refused, naming --http", async (flag, value) => {
    const result = await startServer(freshDir("stray"), [flag, value]);
    expectOneLine(result, new RegExp(`${flag} applies only with --http`), /add --http/);
    expect(result.code).toBe(2);
  });
});
