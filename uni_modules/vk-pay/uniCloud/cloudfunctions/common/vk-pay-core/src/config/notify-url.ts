/**
 * A notify URL the provider cannot reach loses payments silently (docs/RELIABILITY.md section 5: localhost/LAN
 * notify URLs "never called"). Outside the sandbox we refuse, at config load, any notify URL that is not
 * public HTTPS: http, localhost, and private, loopback or link-local addresses.
 */
import { isIP } from 'node:net';

/** Why the URL is unusable in production, or null when it is acceptable. */
export function notifyUrlProblem(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:') return 'must use https outside the sandbox';
  if (url.search) return 'must not carry a query string (providers drop or reject it)';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local')) return `host ${host} is not reachable from the provider`;
  const kind = isIP(host);
  if (kind === 4 && isPrivateIPv4(host)) return `address ${host} is private, loopback or link-local`;
  if (kind === 6 && isPrivateIPv6(host)) return `address ${host} is private, loopback or link-local`;
  return null;
}

function isPrivateIPv4(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number);
  return (
    a === 10 || a === 127 || a === 0 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127) // carrier-grade NAT: not reachable from outside either
  );
}

function isPrivateIPv6(ip: string): boolean {
  if (ip === '::1' || ip === '::') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return isPrivateIPv4(mapped[1]);
  const first = parseInt(ip.split(':')[0] || '0', 16);
  if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  return false;
}
