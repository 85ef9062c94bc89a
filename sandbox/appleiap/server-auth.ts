/**
 * What the App Store Server API checks on each request's bearer token, done the way Apple describes it: an
 * ES256 JWT (header alg ES256, kid = the in-app purchase key's id, typ JWT) signed by that key, with claims
 * iss = the issuer id, aud = appstoreconnect-v1, bid = the app's bundle id, iat not in the future, exp in the
 * future and at most one hour after iat. Apple answers 401 to anything else.
 */
import { createPublicKey, verify } from 'node:crypto';

export interface ServerApiKey { issuerId: string; keyId: string; publicKeyPem: string; bundleId: string }

const SKEW_S = 60;

function json(part: string): Record<string, unknown> | undefined {
  try { const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')); return v && typeof v === 'object' ? v : undefined; } catch { return undefined; }
}

/** Undefined when the Authorization header is acceptable, else why not. */
export function checkServerApiAuth(authorization: string | undefined, key: ServerApiKey, nowMs: number): string | undefined {
  const m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!m) return 'no bearer JWT';
  const head = json(m[1]);
  const claims = json(m[2]);
  if (!head || !claims) return 'JWT parts are not JSON';
  if (head.alg !== 'ES256' || head.typ !== 'JWT') return 'header must be alg ES256, typ JWT';
  if (head.kid !== key.keyId) return 'unknown kid';
  const sig = Buffer.from(m[3], 'base64url');
  if (sig.length !== 64 || !verify('sha256', Buffer.from(`${m[1]}.${m[2]}`), { key: createPublicKey(key.publicKeyPem), dsaEncoding: 'ieee-p1363' }, sig)) return 'bad signature';
  if (claims.iss !== key.issuerId) return 'wrong iss';
  if (claims.aud !== 'appstoreconnect-v1') return 'wrong aud';
  if (claims.bid !== key.bundleId) return 'wrong bid';
  const now = Math.floor(nowMs / 1000);
  const iat = claims.iat;
  const exp = claims.exp;
  if (typeof iat !== 'number' || typeof exp !== 'number') return 'iat and exp are required';
  if (iat > now + SKEW_S) return 'iat is in the future';
  if (exp <= now) return 'expired';
  if (exp - iat > 3600) return 'lives longer than an hour';
  return undefined;
}
