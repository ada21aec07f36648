// Which addresses a download may reach: only public unicast ones. Covers the encoded forms
// WHATWG URL parsing normalizes (127.1, 0x7f.0.0.1, 2130706433 → 127.0.0.1) and IPv6
// forms that embed IPv4 (::ffff:127.0.0.1 → ::ffff:7f00:1).

import net from "node:net";

const BLOCKED = new net.BlockList();
for (const [address, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // CGNAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  BLOCKED.addSubnet(address, prefix, "ipv4");
}
// IPv6: only global unicast (2000::/3) can be public, which already leaves out ::, ::1, the
// IPv4-compatible/translated and NAT64 forms, ULA (fc00::/7), link-local, site-local and
// multicast. Within 2000::/3 these are not reachable hosts of their own:
for (const [address, prefix] of [
  ["2001::", 23], // IETF protocol assignments: Teredo (2001::/32), ORCHID, benchmarking
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4 (embeds an IPv4 address)
  ["3fff::", 20], // documentation (RFC 9637)
] as const) {
  BLOCKED.addSubnet(address, prefix, "ipv6");
}

/** Expands an IPv6 address to its 8 groups. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const octets = dotted[1]!.split(".").map(Number);
    text = text.slice(0, -dotted[1]!.length) + `${((octets[0]! << 8) | octets[1]!).toString(16)}:${((octets[2]! << 8) | octets[3]!).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  if (tail === undefined && missing !== 0) return undefined;
  const groups = [...headGroups, ...Array(Math.max(0, missing)).fill("0"), ...tailGroups].map((group) => parseInt(group || "0", 16));
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : undefined;
}

/** The IPv4 address of an IPv4-mapped IPv6 address (::ffff:a.b.c.d), which connects to it. */
function mappedIpv4(groups: number[]): string | undefined {
  if (!groups.slice(0, 5).every((group) => group === 0) || groups[5] !== 0xffff) return undefined;
  return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
}

/**
 * Whether a download may connect to this address: public unicast only. Loopback, private,
 * link-local (cloud metadata), CGNAT, multicast, unspecified, reserved and documentation
 * ranges are refused, in IPv4 and IPv6, including the IPv6 forms that embed an IPv4 address.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").split("%")[0]!;
  const family = net.isIP(bare);
  if (family === 4) return !BLOCKED.check(bare, "ipv4");
  if (family !== 6) return false;
  const groups = ipv6Groups(bare);
  if (!groups) return false;
  const v4 = mappedIpv4(groups);
  if (v4) return isPublicAddress(v4);
  // Global unicast is 2000::/3.
  if ((groups[0]! & 0xe000) !== 0x2000) return false;
  return !BLOCKED.check(bare, "ipv6");
}

/** A host as WHATWG URL parsing normalizes it, and its IP when it is an IP literal. */
export function parseHostAsIp(host: string): string | undefined {
  let hostname: string;
  try {
    hostname = new URL(`http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}/`).hostname;
  } catch {
    return undefined;
  }
  const bare = hostname.replace(/^\[|\]$/g, "");
  return net.isIP(bare) ? bare : undefined;
}
