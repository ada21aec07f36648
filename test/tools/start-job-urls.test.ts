// start_job refuses at the edge what it can know about a URL: a scheme the provider does not
// take, credentials, and a private or reserved address written as an IP literal in any notation
// WHATWG URL parsing accepts, or localhost. Nothing is stored or sent for a refused call.
// Names are still checked when a download connects (test/providers/http/media-downloader.test.ts).

import { afterEach, describe, expect, it } from "vitest";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { createAdapters } from "../../src/providers/all-providers.js";
import { testAdapterDeps } from "../support/adapter-deps.js";
import { startInMemoryApp, textOf, type InMemoryApp } from "../support/in-memory-app.js";

const KEYS = { HUME_API_KEY: "hume-key", PYANNOTEAI_API_KEY: "pyannote-key", HAMSA_API_KEY: "hamsa-key", HUMANSTANDARD_API_KEY: "hs-key" };
const PROVIDERS = ["local", "pyannote", "hume", "hamsa", "humanstandard"] as const;

/** Loopback, link-local (cloud metadata), private and reserved hosts, as a URL may spell them. */
const PRIVATE_HOSTS = [
  "127.0.0.1", "127.1", "127.0.1", "0x7f000001", "0x7F.0.0.1", "2130706433", "0177.0.0.1", "017700000001", "127.0.0.1.", "127.255.255.254",
  "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]",
  "169.254.169.254", "0xa9fea9fe", "2852039166", "[::ffff:169.254.169.254]", "[fe80::1]",
  "10.0.0.1", "012.0.0.1", "172.16.0.1", "192.168.1.1", "0xc0a80101", "100.64.0.1", "[fc00::1]", "[fd00:ec2::254]",
  "0.0.0.0", "0", "[::]", "224.0.0.1", "255.255.255.255",
  "localhost", "LOCALHOST", "api.localhost", "localhost.",
];

let running: InMemoryApp | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(args: Record<string, unknown>): Promise<CallToolResult> {
  return (await running!.client.callTool({ name: "start_job", arguments: args })) as CallToolResult;
}

const mediaFor = (provider: string, url: string) => (provider === "humanstandard" ? [{ id: "t1", url }] : [{ url }]);

describe("start_job refuses unusable URLs before any job exists", () => {
  it("refuses every private or reserved host form, with and without a port, for every provider", async () => {
    running = await startInMemoryApp(createAdapters(testAdapterDeps(KEYS)), { env: KEYS, startPoller: false });
    for (const provider of PROVIDERS) {
      for (const host of PRIVATE_HOSTS) {
        for (const url of [`https://${host}/clip.wav`, `https://${host}:8443/clip.wav?x=1`]) {
          const answer = await start({ provider, media: mediaFor(provider, url) });
          expect(answer.isError, `${provider} ${url}: ${textOf(answer)}`).toBe(true);
          expect(textOf(answer), `${provider} ${url}`).toMatch(/^media\[0\]: the URL points to (a private or reserved address \(.+\)|localhost); only public URLs can be fetched$/);
        }
      }
    }
    expect((await running.app.store.listJobs({ limit: 10 })).jobs).toHaveLength(0);
  });

  it("refuses schemes the provider does not take, and credentials, naming what it takes", async () => {
    running = await startInMemoryApp(createAdapters(testAdapterDeps(KEYS)), { env: KEYS, startPoller: false });
    const cases: Array<[string, string, RegExp]> = [
      ["local", "http://media.example/clip.wav", /Local acoustic analyzer takes https:\/\/ URLs, not http:\/\//],
      ["local", "media://uploads/clip.wav", /takes https:\/\/ URLs, not media:\/\//],
      ["humanstandard", "http://cdn.example/a.mp3", /takes https:\/\/ URLs, not http:\/\//],
      ["hume", "media://x/y.wav", /takes https:\/\/ or http:\/\/ URLs, not media:\/\//],
      ["hamsa", "media://x/y.wav", /takes https:\/\/ or http:\/\/ URLs, not media:\/\//],
      ["pyannote", "http://media.example/clip.wav", /pyannoteAI takes https:\/\/ or media:\/\/ URLs, not http:\/\//],
      ["pyannote", "https://user:secret@media.example/clip.wav", /URLs with credentials \(user:password@\) are not accepted/],
      ["local", "https://user@media.example/clip.wav", /URLs with credentials/],
      ["hume", "https://exa mple.com/a.wav", /is not a URL/],
    ];
    for (const [provider, url, message] of cases) {
      const answer = await start({ provider, media: mediaFor(provider, url) });
      expect(answer.isError, `${provider} ${url}`).toBe(true);
      expect(textOf(answer), `${provider} ${url}`).toMatch(message);
    }
    expect((await running.app.store.listJobs({ limit: 10 })).jobs).toHaveLength(0);
  });

  it("accepts public URLs and names (names are checked when the download connects)", async () => {
    running = await startInMemoryApp(createAdapters(testAdapterDeps(KEYS)), { env: KEYS, startPoller: false });
    for (const url of ["https://media.example/clip.wav", "HTTPS://8.8.8.8/clip.wav", "https://[2606:4700::1111]/a.wav", "https://127.0.0.1.example.com/a.wav"]) {
      const answer = await start({ provider: "local", media: [{ url }] });
      expect(answer.isError, `${url}: ${textOf(answer)}`).toBeFalsy();
    }
  });

  it("lets loopback through only where private URLs are allowed (MEDIA_JOBS_ALLOW_PRIVATE_URLS, for tests)", async () => {
    running = await startInMemoryApp(createAdapters(testAdapterDeps({ ...KEYS, MEDIA_JOBS_ALLOW_PRIVATE_URLS: "1" })), { env: { ...KEYS, MEDIA_JOBS_ALLOW_PRIVATE_URLS: "1" }, startPoller: false });
    const answer = await start({ provider: "local", media: [{ url: "http://127.0.0.1:9/clip.wav" }] });
    expect(answer.isError, textOf(answer)).toBeFalsy();
  });
});
