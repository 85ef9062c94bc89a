/**
 * App Store signed data (signed transactions, renewal info, Server Notifications V2): a compact JWS signed with
 * ES256 whose header carries the certificate chain in `x5c` (leaf, intermediate, root). We trust it only when
 * the intermediate was issued by a root the config names (Apple Root CA - G3 in production; the sandbox's own
 * root locally), the leaf by that intermediate, every certificate is valid at the injected clock's time, the
 * leaf and intermediate carry Apple's marker extensions, and the leaf's key signed header.payload.
 * docs/PROTOCOLS.md (App Store) has the facts. node:crypto only, so it runs on Node 16, 18 and 20.
 */
import { X509Certificate, verify as cryptoVerify } from 'node:crypto';
import { KeyConfigError, SignatureError } from '../../../../../../../common/errors';
import { extensionOids } from './der';

/** Apple's marker on the certificate that signs App Store receipts and signed data. */
export const APPLE_LEAF_MARKER_OID = '1.2.840.113635.100.6.11.1';
/** Apple's marker on the Worldwide Developer Relations intermediate that issues it. */
export const APPLE_INTERMEDIATE_MARKER_OID = '1.2.840.113635.100.6.2.1';

export interface AppleTrust {
  /** the roots a chain may end at (the config's PEMs, parsed once) */
  roots: readonly X509Certificate[];
  /** ms epoch; certificate validity is judged at this time */
  now: () => number;
}

export interface VerifiedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** Parses the configured trusted roots (PEM); a bad one is a key configuration error naming its position. */
export function parseAppleRoots(pems: readonly string[], field = 'rootCertificates'): X509Certificate[] {
  if (pems.length === 0) throw new KeyConfigError(`${field}: at least one trusted root certificate is required`);
  return pems.map((pem, i) => {
    try {
      const cert = new X509Certificate(pem);
      if (!cert.ca) throw new Error('not a CA certificate');
      return cert;
    } catch (err) {
      throw new KeyConfigError(`${field}[${i}]: ${err instanceof Error ? err.message : 'not a certificate'}`);
    }
  });
}

const B64URL = /^[A-Za-z0-9_-]+$/;

function decodeJsonPart(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try { value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')); } catch { value = undefined; }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new SignatureError(`App Store JWS ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function parseChain(header: Record<string, unknown>): [X509Certificate, X509Certificate, Buffer] {
  const x5c = header.x5c;
  if (!Array.isArray(x5c) || x5c.length !== 3 || !x5c.every((c) => typeof c === 'string')) {
    throw new SignatureError('App Store JWS x5c must hold three certificates (leaf, intermediate, root)');
  }
  try {
    const leafDer = Buffer.from(x5c[0], 'base64');
    return [new X509Certificate(leafDer), new X509Certificate(Buffer.from(x5c[1], 'base64')), leafDer];
  } catch {
    throw new SignatureError('App Store JWS x5c holds something that is not a certificate');
  }
}

function checkValidAt(cert: X509Certificate, at: number, role: string): void {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (!(from <= at)) throw new SignatureError(`App Store ${role} certificate is not valid yet`);
  if (!(at <= to)) throw new SignatureError(`App Store ${role} certificate has expired`);
}

function hasExtension(der: Uint8Array, oid: string): boolean {
  try { return extensionOids(der).includes(oid); } catch { return false; }
}

/**
 * Verifies an App Store JWS and returns its header and payload; SignatureError (40002) for anything that does
 * not hold. The third x5c entry is ignored: the chain must end at a configured root, not at whatever root the
 * message brings along.
 */
export function verifyAppleJws(jws: unknown, trust: AppleTrust): VerifiedJws {
  if (typeof jws !== 'string' || jws.length > 64 * 1024) throw new SignatureError('App Store JWS must be a string under 64 KiB');
  const parts = jws.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) throw new SignatureError('App Store JWS must be three base64url parts');
  const header = decodeJsonPart(parts[0], 'header');
  if (header.alg !== 'ES256') throw new SignatureError('App Store JWS alg must be ES256');
  const [leaf, intermediate, leafDer] = parseChain(header);

  const root = trust.roots.find((r) => intermediate.issuer === r.subject && intermediate.verify(r.publicKey));
  if (!root) throw new SignatureError('App Store JWS chain does not end at a trusted root');
  if (!intermediate.ca) throw new SignatureError('App Store intermediate certificate is not a CA');
  if (leaf.issuer !== intermediate.subject || !leaf.verify(intermediate.publicKey)) throw new SignatureError('App Store leaf certificate was not issued by the intermediate');
  if (!hasExtension(leafDer, APPLE_LEAF_MARKER_OID)) throw new SignatureError('App Store leaf certificate lacks the App Store receipt signing extension');
  if (!hasExtension(intermediate.raw, APPLE_INTERMEDIATE_MARKER_OID)) throw new SignatureError('App Store intermediate certificate lacks the WWDR intermediate extension');
  const at = trust.now();
  checkValidAt(leaf, at, 'leaf');
  checkValidAt(intermediate, at, 'intermediate');
  checkValidAt(root, at, 'root');

  const key = leaf.publicKey;
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new SignatureError('App Store leaf key is not P-256');
  const signature = Buffer.from(parts[2], 'base64url');
  const ok = signature.length === 64 && cryptoVerify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key, dsaEncoding: 'ieee-p1363' }, signature);
  if (!ok) throw new SignatureError('App Store JWS signature does not verify');
  return { header, payload: decodeJsonPart(parts[1], 'payload') };
}
