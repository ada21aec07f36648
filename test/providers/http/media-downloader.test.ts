import dns from "node:dns";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UserInputError } from "../../../src/errors.js";
import { createMediaDownloader, type MediaDownloaderOptions } from "../../../src/providers/http/media-downloader.js";
import { FakeServer } from "../../fakes/fake-server.js";

const servers: FakeServer[] = [];
let tempDir = "";
beforeEach(async () => {
  tempDir = await fsp.mkdtemp(path.join(os.tmpdir(), "downloader-test-"));
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  await fsp.rm(tempDir, { recursive: true, force: true });
});

async function fake(): Promise<FakeServer> {
  const server = new FakeServer();
  await server.listen();
  servers.push(server);
  return server;
}

type LookupResult = Array<{ address: string; family: number }>;
/** A resolver answering from a table, as a DNS-rebinding attacker's name server would. */
function lookupFrom(table: (hostname: string) => LookupResult, asked: string[] = []): typeof dns.lookup {
  return ((hostname: string, _options: unknown, callback: (error: NodeJS.ErrnoException | null, addresses: LookupResult) => void) => {
    asked.push(hostname);
    callback(null, table(hostname));
  }) as unknown as typeof dns.lookup;
}

function downloader(overrides: Partial<MediaDownloaderOptions> = {}) {
  return createMediaDownloader({ allowPrivate: false, timeoutMs: 5_000, tempDir, ...overrides });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UserInputError);
    return (error as Error).message;
  }
  throw new Error("expected a UserInputError");
}

/**
 * Test policy: 127.0.0.1 (our fake) stands in for "a public address", every other address is
 * refused, so hops to private addresses are checked for real without any public network.
 */
const loopbackIsPublic = { allowHttp: true, isAllowedAddress: (address: string) => address === "127.0.0.1" };

describe("media downloader: address policy", () => {
  it("refuses private IP literals in every encoding before connecting, saying which address", async () => {
    const cases: Array<[string, string]> = [
      ["https://127.1/a.wav", "127.0.0.1"],
      ["https://0x7f.0.0.1/a.wav", "127.0.0.1"],
      ["https://2130706433/a.wav", "127.0.0.1"],
      ["https://0177.0.0.1/a.wav", "127.0.0.1"],
      ["https://[::ffff:127.0.0.1]/a.wav", "::ffff:7f00:1"],
      ["https://[::1]/a.wav", "::1"],
      ["https://169.254.169.254/latest/meta-data/", "169.254.169.254"],
      ["https://10.0.0.1/a.wav", "10.0.0.1"],
      ["https://192.168.1.1/a.wav", "192.168.1.1"],
      ["https://[fc00::1]/a.wav", "fc00::1"],
    ];
    const asked: string[] = [];
    const guarded = downloader({ lookup: lookupFrom(() => [{ address: "127.0.0.1", family: 4 }], asked) });
    for (const [url, address] of cases) {
      expect(await refusal(guarded.download(url, { maxBytes: 1_000 })), url).toBe(
        `the URL points to a private address (${address}); only public https URLs can be downloaded`,
      );
    }
    expect(asked).toEqual([]);
  });

  it("takes https only (plain http only in test mode), and no credentials in URLs", async () => {
    const guarded = downloader();
    expect(await refusal(guarded.download("http://example.com/a.wav", { maxBytes: 1_000 }))).toBe("only https URLs can be downloaded; got http://");
    expect(await refusal(guarded.download("file:///etc/passwd", { maxBytes: 1_000 }))).toMatch(/^only https URLs/);
    expect(await refusal(guarded.download("ftp://example.com/a.wav", { maxBytes: 1_000 }))).toMatch(/^only https URLs/);
    expect(await refusal(guarded.download("https://user:pw@example.com/a.wav", { maxBytes: 1_000 }))).toBe("URLs with credentials are not downloaded");
    expect(await refusal(guarded.download("not a url", { maxBytes: 1_000 }))).toBe("not a URL: not a url");
  });

  it("checks the address a name resolves to when connecting, so a rebinding name is refused", async () => {
    const toLoopback = downloader({ lookup: lookupFrom(() => [{ address: "127.0.0.1", family: 4 }]) });
    expect(await refusal(toLoopback.download("https://media.example.com/a.wav", { maxBytes: 1_000 }))).toBe(
      "media.example.com resolves to a private address (127.0.0.1); only public https URLs can be downloaded",
    );
    // One private address among public ones is enough to refuse: the socket may pick any.
    const mixed = downloader({
      lookup: lookupFrom(() => [
        { address: "8.8.8.8", family: 4 },
        { address: "169.254.169.254", family: 4 },
      ]),
    });
    expect(await refusal(mixed.download("https://cdn.example.com/a.wav", { maxBytes: 1_000 }))).toMatch(/resolves to a private address \(169\.254\.169\.254\)/);
    const v6 = downloader({ lookup: lookupFrom(() => [{ address: "::1", family: 6 }]) });
    expect(await refusal(v6.download("https://v6.example.com/a.wav", { maxBytes: 1_000 }))).toMatch(/resolves to a private address \(::1\)/);
  });

  it("re-checks every redirect hop: a hop to a private literal, a private name or another scheme is refused and never requested", async () => {
    const server = await fake();
    const port = new URL(server.baseUrl).port;
    server.route("GET", "/ok.wav", () => ({ body: Buffer.alloc(100, 1) }));
    server.route("GET", "/to-literal", () => ({ status: 302, headers: { location: `http://127.0.0.2:${port}/ok.wav` } }));
    server.route("GET", "/to-metadata", () => ({ status: 301, headers: { location: "http://169.254.169.254/latest/meta-data/" } }));
    server.route("GET", "/to-name", () => ({ status: 307, headers: { location: `http://metadata.internal:${port}/ok.wav` } }));
    server.route("GET", "/to-file", () => ({ status: 302, headers: { location: "file:///etc/passwd" } }));
    server.route("GET", "/to-good-name", () => ({ status: 302, headers: { location: `http://media.example.com:${port}/ok.wav` } }));
    const lookup = lookupFrom((hostname) => [{ address: hostname === "metadata.internal" ? "127.0.0.3" : "127.0.0.1", family: 4 }]);
    const guarded = downloader({ ...loopbackIsPublic, lookup });

    const direct = await guarded.download(`${server.baseUrl}/ok.wav`, { maxBytes: 1_000 });
    expect(direct.bytes).toBe(100);
    await direct.cleanup();
    const viaGoodName = await guarded.download(`${server.baseUrl}/to-good-name`, { maxBytes: 1_000 });
    expect(viaGoodName.bytes).toBe(100);
    await viaGoodName.cleanup();

    expect(await refusal(guarded.download(`${server.baseUrl}/to-literal`, { maxBytes: 1_000 }))).toBe(
      "the URL points to a private address (127.0.0.2); only public https URLs can be downloaded",
    );
    expect(await refusal(guarded.download(`${server.baseUrl}/to-metadata`, { maxBytes: 1_000 }))).toMatch(/private address \(169\.254\.169\.254\)/);
    expect(await refusal(guarded.download(`${server.baseUrl}/to-name`, { maxBytes: 1_000 }))).toBe(
      "metadata.internal resolves to a private address (127.0.0.3); only public https URLs can be downloaded",
    );
    expect(await refusal(guarded.download(`${server.baseUrl}/to-file`, { maxBytes: 1_000 }))).toMatch(/^only https URLs/);
    // The refused hops were never requested.
    expect(server.requests.map((request) => request.path)).toEqual(["/ok.wav", "/to-good-name", "/ok.wav", "/to-literal", "/to-metadata", "/to-name", "/to-file"]);
  });

  it("follows a bounded number of redirects", async () => {
    const server = await fake();
    server.route("GET", "/loop", () => ({ status: 302, headers: { location: "/loop" } }));
    const message = await refusal(downloader({ allowPrivate: true }).download(`${server.baseUrl}/loop`, { maxBytes: 1_000 }));
    expect(message).toMatch(/^too many redirects/);
    expect(server.requests).toHaveLength(6);
  });
});

describe("media downloader: files", () => {
  it("downloads to a temp file with its type, and cleanup() removes it", async () => {
    const server = await fake();
    server.route("GET", "/clip.wav", () => ({ headers: { "content-type": "audio/wav" }, body: Buffer.alloc(500, 7) }));
    const file = await downloader({ allowPrivate: true }).download(`${server.baseUrl}/clip.wav`, { maxBytes: 1_000 });
    expect(file).toMatchObject({ bytes: 500, contentType: "audio/wav" });
    expect(path.dirname(path.dirname(file.path))).toBe(tempDir);
    expect(path.basename(file.path)).toMatch(/-clip\.wav$/);
    expect(fs.readFileSync(file.path)).toEqual(Buffer.alloc(500, 7));
    await file.cleanup();
    expect(fs.existsSync(file.path)).toBe(false);
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });

  it("refuses a file whose Content-Length is over the cap before reading it", async () => {
    const server = await fake();
    server.route("GET", "/big.wav", () => ({ headers: { "content-length": "5000" }, body: Buffer.alloc(5_000, 1) }));
    expect(await refusal(downloader({ allowPrivate: true }).download(`${server.baseUrl}/big.wav`, { maxBytes: 1_000 }))).toBe(
      "the file is 5000 bytes, over the 1000-byte download limit (MEDIA_JOBS_MAX_DOWNLOAD_MB)",
    );
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });

  it("counts bytes when there is no Content-Length, stops past the cap and removes the partial file", async () => {
    const server = await fake();
    server.route("GET", "/chunked.wav", () => ({ headers: { "transfer-encoding": "chunked" }, body: Buffer.alloc(200_000, 1) }));
    expect(await refusal(downloader({ allowPrivate: true }).download(`${server.baseUrl}/chunked.wav`, { maxBytes: 1_000 }))).toBe(
      "the file is over the 1000-byte download limit (MEDIA_JOBS_MAX_DOWNLOAD_MB)",
    );
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });

  it("removes the partial file when the body breaks off", async () => {
    const server = await fake();
    server.injectFault({ kind: "truncated-body" });
    expect(await refusal(downloader({ allowPrivate: true }).download(`${server.baseUrl}/cut.wav`, { maxBytes: 1_000 }))).toMatch(/broke off|could not download/);
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });

  it("reports a failed HTTP status and a download over the time limit", async () => {
    const server = await fake();
    server.route("GET", "/missing.wav", () => ({ status: 404, body: { message: "nope" } }));
    expect(await refusal(downloader({ allowPrivate: true }).download(`${server.baseUrl}/missing.wav`, { maxBytes: 1_000 }))).toBe(
      "the download from 127.0.0.1/missing.wav failed with HTTP 404",
    );
    server.injectFault({ kind: "slow-body", delayMs: 1_000 });
    expect(await refusal(downloader({ allowPrivate: true, timeoutMs: 150 }).download(`${server.baseUrl}/slow.wav`, { maxBytes: 1_000 }))).toBe(
      "the download from 127.0.0.1 took longer than 150 ms; try a smaller file or a faster host",
    );
    expect(fs.readdirSync(tempDir)).toEqual([]);
  });
});
