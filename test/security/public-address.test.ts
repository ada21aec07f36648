import dns from "node:dns";
import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createMediaDownloader } from "../../src/providers/http/media-downloader.js";
import { isPublicAddress, parseHostAsIp } from "../../src/security/public-address.js";
import { FakeServer } from "../fakes/fake-server.js";

const servers: FakeServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

describe("public address policy", () => {
  it("refuses loopback, private, link-local and reserved addresses in every encoding", () => {
    for (const host of ["127.0.0.1", "127.1", "0x7f.0.0.1", "2130706433", "0177.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "169.254.169.254", "10.0.0.1", "192.168.1.1", "172.16.5.4", "100.64.0.1", "0.0.0.0", "[fc00::1]", "[fe80::1]", "[::]", "224.0.0.1", "[::ffff:10.0.0.1]"]) {
      const ip = parseHostAsIp(host);
      expect(ip, host).toBeDefined();
      expect(isPublicAddress(ip!), host).toBe(false);
    }
  });

  it("accepts public unicast addresses", () => {
    for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) expect(isPublicAddress(address), address).toBe(true);
  });

  it("treats names that are not IP literals as names", () => {
    expect(parseHostAsIp("example.com")).toBeUndefined();
  });
});

describe("media downloader", () => {
  // Resolves every name to loopback, as a DNS-rebinding attacker would.
  const rebindingLookup = ((hostname: string, options: unknown, callback: (error: null, addresses: dns.LookupAddress[]) => void) =>
    callback(null, [{ address: "127.0.0.1", family: 4 }])) as unknown as typeof dns.lookup;

  it("refuses private-address URLs before connecting, with a clear message", async () => {
    const downloader = createMediaDownloader({ allowPrivate: false, timeoutMs: 5_000 });
    for (const url of ["https://127.1/a.wav", "https://0x7f.0.0.1/a.wav", "https://[::ffff:127.0.0.1]/a.wav", "https://169.254.169.254/latest", "http://example.com/a.wav"]) {
      await expect(downloader.download(url, { maxBytes: 1_000 }), url).rejects.toThrow(/private address|only https/);
    }
  });

  it("checks the resolved address at connect time, so a name that resolves to loopback is refused", async () => {
    const downloader = createMediaDownloader({ allowPrivate: false, timeoutMs: 5_000, lookup: rebindingLookup });
    await expect(downloader.download("https://media.example.com/a.wav", { maxBytes: 1_000 })).rejects.toThrow(/resolves to a private address/);
  });

  it("re-checks every redirect hop: a redirect to a refused address is not followed", async () => {
    const server = new FakeServer();
    await server.listen();
    servers.push(server);
    const port = new URL(server.baseUrl).port;
    server.route("GET", "/ok.wav", () => ({ body: Buffer.alloc(100, 1) }));
    server.route("GET", "/start", () => ({ status: 302, headers: { location: `http://127.0.0.2:${port}/ok.wav` } }));
    server.route("GET", "/by-name", () => ({ status: 302, headers: { location: `http://metadata.internal:${port}/ok.wav` } }));
    // Policy for this test: 127.0.0.1 stands in for "public", everything else is refused.
    const lookup = ((hostname: string, options: unknown, callback: (error: null, addresses: dns.LookupAddress[]) => void) =>
      callback(null, [{ address: hostname === "metadata.internal" ? "127.0.0.3" : "127.0.0.1", family: 4 }])) as unknown as typeof dns.lookup;
    const downloader = createMediaDownloader({ allowPrivate: false, allowHttp: true, timeoutMs: 5_000, lookup, isAllowedAddress: (address) => address === "127.0.0.1" });
    const direct = await downloader.download(`${server.baseUrl}/ok.wav`, { maxBytes: 1_000 });
    expect(direct.bytes).toBe(100);
    await direct.cleanup();
    await expect(downloader.download(`${server.baseUrl}/start`, { maxBytes: 1_000 })).rejects.toThrow(/127\.0\.0\.2 is a private address/);
    await expect(downloader.download(`${server.baseUrl}/by-name`, { maxBytes: 1_000 })).rejects.toThrow(/metadata\.internal resolves to a private address/);
    // The refused hops were never requested.
    expect(server.requests.map((request) => request.path)).toEqual(["/ok.wav", "/start", "/by-name"]);
  });

  it("downloads within the cap, and refuses and removes files over it with or without Content-Length", async () => {
    const server = new FakeServer();
    await server.listen();
    servers.push(server);
    server.route("GET", "/small.wav", () => ({ body: Buffer.alloc(500, 1) }));
    server.route("GET", "/big.wav", () => ({ body: Buffer.alloc(5_000, 1) }));
    server.route("GET", "/chunked.wav", () => ({ headers: { "transfer-encoding": "chunked" }, body: Buffer.alloc(5_000, 1) }));
    const downloader = createMediaDownloader({ allowPrivate: true, timeoutMs: 5_000 });
    const small = await downloader.download(`${server.baseUrl}/small.wav`, { maxBytes: 1_000 });
    expect(small.bytes).toBe(500);
    expect(fs.statSync(small.path).size).toBe(500);
    await small.cleanup();
    expect(fs.existsSync(small.path)).toBe(false);
    await expect(downloader.download(`${server.baseUrl}/big.wav`, { maxBytes: 1_000 })).rejects.toThrow(/over the 1000-byte download limit/);
    const before = fs.readdirSync((await import("node:os")).tmpdir()).filter((name) => name.startsWith("media-jobs-dl-")).length;
    await expect(downloader.download(`${server.baseUrl}/chunked.wav`, { maxBytes: 1_000 })).rejects.toThrow(/download limit/);
    const after = fs.readdirSync((await import("node:os")).tmpdir()).filter((name) => name.startsWith("media-jobs-dl-")).length;
    expect(after).toBe(before);
  });
});
