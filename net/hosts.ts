/**
 * Hosts as this service meets them: bare or bracketed IPv6 (`::1`, `[::1]` in URLs), `host:port` strings, and
 * wildcard listen addresses. One copy, so that the configuration rules and `npm start` agree on what loopback is:
 * being on loopback is what lets a demo key or plain http through (docs/architecture.md, configuration).
 */
import net from 'node:net';

/** 127.0.0.0/8 and ::1. BlockList also matches IPv4-mapped IPv6 (::ffff:127.0.0.1) against the IPv4 rule. */
const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const ANY_IPV4 = new net.BlockList();
ANY_IPV4.addAddress('0.0.0.0', 'ipv4');
const ANY_IPV6 = new net.BlockList();
ANY_IPV6.addAddress('::', 'ipv6');

/** `[::1]` → `::1` (URL.hostname keeps the brackets; sockets want them off). Anything else is returned as is. */
export function unbracketHost(host: string): string {
  const inner = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : undefined;
  return inner !== undefined && net.isIPv6(inner) ? inner : host;
}

/** `::1` → `[::1]`, as `host:port` and URLs need it; names, IPv4 and already bracketed hosts are returned as is. */
export function bracketHost(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

/** `host:port`, with an IPv6 address bracketed (given bare or bracketed). */
export function hostPort(host: string, port: number | string): string {
  return `${bracketHost(unbracketHost(host))}:${port}`;
}

/**
 * Splits `host:port`, `[v6]:port` or a lone host (port undefined). The host comes back bare (no brackets); a bare
 * IPv6 address is a host without a port, since its last colon is part of it.
 */
export function splitHostPort(address: string): { host: string; port: number | undefined } {
  if (net.isIPv6(address)) return { host: address, port: undefined };
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(address);
  if (bracketed) {
    const [, host = '', port] = bracketed;
    return { host, port: port === undefined ? undefined : Number(port) };
  }
  const colon = address.lastIndexOf(':');
  if (colon < 0) return { host: address, port: undefined };
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

/**
 * Whether `host` is this machine's loopback: `localhost`, 127.0.0.0/8, ::1, bracketed or not, IPv4-mapped too.
 * Addresses are compared as addresses (net.isIP), never by prefix: `127.0.0.1.example.com` and
 * `localhost.example.com` are names that DNS may send anywhere, so they are not loopback.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = unbracketHost(host);
  if (bare.toLowerCase() === 'localhost') return true;
  const family = net.isIP(bare);
  return family !== 0 && LOOPBACK.check(bare, family === 6 ? 'ipv6' : 'ipv4');
}

/** Whether `host` is a wildcard listen address (0.0.0.0, ::, bracketed or not, IPv4-mapped too). */
export function isWildcardHost(host: string): boolean {
  return dialableHost(host) !== host;
}

/**
 * The host a client on this machine dials to reach a server listening on `host`: a wildcard cannot be dialled,
 * so 0.0.0.0 becomes 127.0.0.1 and :: becomes ::1 (bare); any other host is returned as is.
 */
export function dialableHost(host: string): string {
  const bare = unbracketHost(host);
  const family = net.isIP(bare);
  if (family === 4) return ANY_IPV4.check(bare, 'ipv4') ? '127.0.0.1' : host;
  if (family === 6) {
    if (ANY_IPV6.check(bare, 'ipv6')) return '::1';
    if (ANY_IPV4.check(bare, 'ipv6')) return '127.0.0.1';
  }
  return host;
}
