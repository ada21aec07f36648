import { describe, expect, it } from "vitest";
import { isPublicAddress, parseHostAsIp } from "../../src/security/public-address.js";

describe("parseHostAsIp", () => {
  it("normalizes the encoded IPv4 forms as WHATWG URL parsing does", () => {
    expect(parseHostAsIp("127.1")).toBe("127.0.0.1");
    expect(parseHostAsIp("0x7f.0.0.1")).toBe("127.0.0.1");
    expect(parseHostAsIp("2130706433")).toBe("127.0.0.1");
    expect(parseHostAsIp("0177.0.0.1")).toBe("127.0.0.1");
    expect(parseHostAsIp("0x7f000001")).toBe("127.0.0.1");
    expect(parseHostAsIp("127.0.0.1.")).toBe("127.0.0.1");
    expect(parseHostAsIp("[::ffff:127.0.0.1]")).toBe("::ffff:7f00:1");
    expect(parseHostAsIp("[::ffff:7f00:1]")).toBe("::ffff:7f00:1");
    expect(parseHostAsIp("[::1]")).toBe("::1");
    expect(parseHostAsIp("::1")).toBe("::1");
    expect(parseHostAsIp("[0:0:0:0:0:0:0:1]")).toBe("::1");
  });

  it("treats names (and things that are no host) as not IP literals", () => {
    expect(parseHostAsIp("example.com")).toBeUndefined();
    expect(parseHostAsIp("localhost")).toBeUndefined();
    expect(parseHostAsIp("999.1.1.1")).toBeUndefined();
    expect(parseHostAsIp("")).toBeUndefined();
  });
});

describe("isPublicAddress", () => {
  it("refuses loopback, private, link-local and reserved addresses in every encoding a URL allows", () => {
    const hosts = [
      "127.0.0.1", "127.1", "0x7f.0.0.1", "2130706433", "0177.0.0.1", "127.255.255.254",
      "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]", "[::ffff:0:127.0.0.1]", "[64:ff9b::7f00:1]",
      "169.254.169.254", "[::ffff:a9fe:a9fe]", "[fe80::1]",
      "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "[::ffff:10.0.0.1]", "[fc00::1]", "[fd12:3456::1]",
      "100.64.0.1", "0.0.0.0", "0.1.2.3", "[::]", "224.0.0.1", "239.255.255.250", "[ff02::1]", "255.255.255.255", "240.0.0.1",
      "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "192.0.0.8", "[2001:db8::1]", "[3fff::1]", "[2002:7f00:1::]", "[2001::1]",
    ];
    for (const host of hosts) {
      const ip = parseHostAsIp(host);
      expect(ip, host).toBeDefined();
      expect(isPublicAddress(ip!), host).toBe(false);
    }
  });

  it("accepts public unicast addresses, also IPv4-mapped ones", () => {
    for (const address of ["8.8.8.8", "1.1.1.1", "11.0.0.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "2001:4860:4860::8888", "::ffff:8.8.8.8", "[2606:4700::6810:84e5]"]) {
      expect(isPublicAddress(address), address).toBe(true);
    }
  });

  it("refuses anything that is not an IP address", () => {
    for (const text of ["example.com", "", "1.2.3", "::gg", "8.8.8.8.8"]) expect(isPublicAddress(text), text).toBe(false);
  });
});
