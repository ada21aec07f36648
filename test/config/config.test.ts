import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseArgs } from "../../src/config.js";

describe("config", () => {
  it("has working defaults with no environment at all", () => {
    const config = loadConfig({});
    expect(config.dataDir).toMatch(/\.media-jobs-mcp$/);
    expect(config.pyannote.baseUrl).toBe("https://api.pyannote.ai");
    expect(config.http).toMatchObject({ enabled: false, host: "127.0.0.1", port: 3000 });
  });

  it("names the bad key when a value is invalid", () => {
    expect(() => loadConfig({ PYANNOTEAI_BASE_URL: "not a url" })).toThrow(/PYANNOTEAI_BASE_URL/);
    expect(() => loadConfig({ MEDIA_JOBS_LOG_LEVEL: "loud" })).toThrow(/MEDIA_JOBS_LOG_LEVEL/);
    expect(() => loadConfig({ MEDIA_JOBS_POLL_INITIAL_MS: "-5" })).toThrow(/MEDIA_JOBS_POLL_INITIAL_MS/);
  });

  it("takes a postgres:// or postgresql:// database URL (SQLite without one) and refuses anything else without repeating it", () => {
    expect(loadConfig({}).databaseUrl).toBeUndefined();
    expect(loadConfig({ MEDIA_JOBS_DATABASE_URL: "postgres://media:pw@db.example.com:5432/jobs" }).databaseUrl).toBe("postgres://media:pw@db.example.com:5432/jobs");
    expect(loadConfig({ MEDIA_JOBS_DATABASE_URL: " postgresql://db/jobs?schema=team_a " }).databaseUrl).toBe("postgresql://db/jobs?schema=team_a");
    for (const [url, why] of [
      ["mysql://media:secret-pw@db/jobs", /must start with postgres:\/\/ or postgresql:\/\//],
      ["db.example.com/jobs", /must be a postgres:\/\/ or postgresql:\/\/ URL/],
      ["postgres://media:secret-pw@db/jobs?schema=Team-A", /schema=Team-A is not a plain schema name/],
    ] as const) {
      let message = "";
      try {
        loadConfig({ MEDIA_JOBS_DATABASE_URL: url });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message, url).toMatch(/^MEDIA_JOBS_DATABASE_URL /);
      expect(message, url).toMatch(why);
      expect(message, url).not.toContain("secret-pw");
    }
  });

  it("parses flags and rejects unknown ones", () => {
    expect(parseArgs(["--http", "--port", "0", "--host=::1"])).toMatchObject({ http: true, port: 0, host: "::1" });
    expect(() => parseArgs(["--port", "99999"])).toThrow(ConfigError);
    expect(() => parseArgs(["--bogus"])).toThrow(/unknown argument --bogus/);
    expect(parseArgs(["/media/a", "--http", "/media/b"]).dirs).toEqual(["/media/a", "/media/b"]);
    expect(loadConfig({ MEDIA_JOBS_ALLOWED_DIRS: "/env" }, { http: false, dirs: ["/arg"] }).allowedDirs).toEqual(["/env", "/arg"]);
  });

  it("refuses --port and --host without --http instead of ignoring them, in any order", () => {
    for (const argv of [["--port", "8080"], ["--port=0"], ["--host", "::1"], ["/media", "--port", "1", "--host", "127.0.0.1"]]) {
      expect(() => parseArgs(argv), argv.join(" ")).toThrow(/only with --http .*add --http/);
      expect(parseArgs([...argv, "--http"]), argv.join(" ")).toMatchObject({ http: true });
      expect(parseArgs(["--http", ...argv]), argv.join(" ")).toMatchObject({ http: true });
    }
    // Asking for help or the version is never refused.
    expect(parseArgs(["--port", "1", "--help"]).help).toBe(true);
  });

  it("takes an IPv6 --host with or without URL brackets", () => {
    expect(parseArgs(["--http", "--host", "[::1]"]).host).toBe("::1");
    expect(parseArgs(["--http", "--host=[fe80::1]"]).host).toBe("fe80::1");
    expect(parseArgs(["--http", "--host", "::1"]).host).toBe("::1");
  });

  it("splits allowed dirs on the platform path delimiter and trims base URLs", () => {
    const config = loadConfig({ MEDIA_JOBS_ALLOWED_DIRS: "/a:/b/", HUME_BASE_URL: "http://127.0.0.1:9/" });
    expect(config.allowedDirs).toEqual(["/a", "/b"]);
    expect(config.hume.baseUrl).toBe("http://127.0.0.1:9");
  });
});
