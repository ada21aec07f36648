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
for (const [address, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96], // NAT64 (embeds IPv4)
  ["100::", 64], // discard
  ["2001:db8::", 32], // documentation
  ["2001::", 32], // Teredo
  ["2002::", 16], // 6to4 (embeds IPv4)
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
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

/** The IPv4 address an IPv6 address embeds as mapped (::ffff:a.b.c.d) or compatible (::a.b.c.d). */
function embeddedIpv4(groups: number[]): string | undefined {
  const zeros = groups.slice(0, 5).every((group) => group === 0);
  if (!zeros) return undefined;
  if (groups[5] === 0xffff || (groups[5] === 0 && (groups[6] !== 0 || groups[7]! > 1))) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
  }
  return undefined;
}

export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "");
  const family = net.isIP(bare);
  if (family === 4) return !BLOCKED.check(bare, "ipv4");
  if (family === 6) {
    const groups = ipv6Groups(bare.split("%")[0]!);
    if (!groups) return false;
    const v4 = embeddedIpv4(groups);
    if (v4) return isPublicAddress(v4);
    return !BLOCKED.check(bare.split("%")[0]!, "ipv6");
  }
  return false;
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
