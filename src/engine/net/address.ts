/**
 * Which addresses an outbound request may reach. Specs, chat users and MCP clients choose URLs; without this
 * check a URL (or a redirect, or a DNS answer) can point at the machine itself, the LAN or a cloud metadata
 * service. Blocked by default: every range that is not the public internet (RFC 6890 special-purpose
 * registries); the operator opens ranges deliberately with `SMOLMAP_NET_ALLOW`.
 */
import { BlockList, isIP } from 'node:net';
import { SmolmapError } from '../errors.js';

/** [network, prefix] pairs; cloud metadata endpoints fall in link-local, CGNAT and unique-local. */
const BLOCKED_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT (Alibaba metadata 100.100.100.200)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (AWS/GCP/Azure metadata 169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const BLOCKED_V6: [string, number][] = [
  ['::', 96], // unspecified, loopback and IPv4-compatible (IPv4-mapped ones meet the IPv4 rules)
  ['64:ff9b::', 96], // NAT64: embeds any IPv4 address
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds any IPv4 address
  ['fc00::', 7], // unique-local (AWS metadata fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed by some stacks)
  ['ff00::', 8], // multicast
];

/** The operator's exceptions, parsed once: CIDRs (`10.0.0.0/8`, `fd00::/8`) or single addresses. */
export interface NetPolicy {
  readonly allow: readonly string[];
}

export const STRICT_POLICY: NetPolicy = { allow: [] };

const blocked = new BlockList();
for (const [net, prefix] of BLOCKED_V4) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of BLOCKED_V6) blocked.addSubnet(net, prefix, 'ipv6');

const allowLists = new WeakMap<NetPolicy, BlockList>();

function allowList(policy: NetPolicy): BlockList {
  let list = allowLists.get(policy);
  if (list) return list;
  list = new BlockList();
  for (const entry of policy.allow) {
    const [net = '', prefix] = entry.split('/');
    const family = isIP(net);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32))
      throw new SmolmapError(
        'net_bad_allow',
        `"${entry}" in SMOLMAP_NET_ALLOW is not an IP address or CIDR range; write e.g. 10.0.0.0/8,127.0.0.1`,
      );
    list.addSubnet(net, bits, family === 6 ? 'ipv6' : 'ipv4');
  }
  allowLists.set(policy, list);
  return list;
}

/** Parses `SMOLMAP_NET_ALLOW` (comma-separated CIDRs or addresses); a bad entry is an error at once. */
export function netPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): NetPolicy {
  const allow = (env['SMOLMAP_NET_ALLOW'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const policy = { allow };
  allowList(policy);
  return policy;
}

/** Strips the brackets URL.hostname keeps around IPv6 literals. */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** True when `address` (an IP literal) may be reached under `policy`. */
export function addressAllowed(address: string, policy: NetPolicy): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 6 ? 'ipv6' : 'ipv4';
  return !blocked.check(address, type) || allowList(policy).check(address, type);
}

/** Throws `net_blocked_address` naming the address and how the operator opens it. */
export function checkAddress(address: string, url: string, policy: NetPolicy): void {
  if (addressAllowed(address, policy)) return;
  throw new SmolmapError(
    'net_blocked_address',
    `${url} resolves to ${address}, a loopback, private, link-local or reserved address that smolmap does not ` +
      `contact; if this host is yours, the operator can allow it with SMOLMAP_NET_ALLOW=${address}`,
    { details: { url, address } },
  );
}
