/**
 * The App Store JWS check against chains built the way Apple's are (sandbox/appleiap/pki.ts), and against what a
 * forger can send: an edited payload, another key, a chain ending at another root, a borrowed trusted root in
 * x5c, expired and not-yet-valid certificates, certificates without Apple's marker extensions, other algorithms.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SignatureError, KeyConfigError } from '../../../../uni_modules/vk-pay/common/errors';
import { decodeOid, extensionOids } from '../../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/appleiap/der';
import {
  APPLE_INTERMEDIATE_MARKER_OID, APPLE_LEAF_MARKER_OID, parseAppleRoots, verifyAppleJws,
} from '../../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/appleiap/jws';
import { generateApplePki, signAppleJws, type ApplePki } from '../../../../sandbox/appleiap/pki';

const NOW = Date.UTC(2026, 5, 1);
const DAY = 24 * 3600 * 1000;
const pki = generateApplePki({ now: NOW });
const trust = { roots: parseAppleRoots([pki.rootPem]), now: () => NOW };
const payload = { transactionId: '2000000123', productId: 'vip.month', bundleId: 'com.example.app' };

const parts = (jws: string) => jws.split('.');
const b64json = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function refused(fn: () => unknown, message: RegExp): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(SignatureError);
  expect((err as SignatureError).code).toBe(40002);
  expect((err as Error).message).toMatch(message);
}

describe('verifyAppleJws: a genuine chain', () => {
  it('returns the header and payload of a JWS signed by a leaf that chains to the configured root', () => {
    const out = verifyAppleJws(signAppleJws(payload, pki), trust);
    expect(out.payload).toEqual(payload);
    expect(out.header.alg).toBe('ES256');
  });

  it('the test chain is a real X.509 chain: openssl verifies it too (so the fixture is not shaped to our checker)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apple-pki-'));
    try {
      const pem = (b64: string) => new X509Certificate(Buffer.from(b64, 'base64')).toString();
      writeFileSync(join(dir, 'root.pem'), pki.rootPem);
      writeFileSync(join(dir, 'inter.pem'), pem(pki.x5c[1]));
      writeFileSync(join(dir, 'leaf.pem'), pem(pki.x5c[0]));
      let out: string;
      try {
        out = execFileSync('openssl', ['verify', '-attime', String(Math.floor(NOW / 1000)), '-CAfile', join(dir, 'root.pem'), '-untrusted', join(dir, 'inter.pem'), join(dir, 'leaf.pem')], { encoding: 'utf8' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // no openssl CLI on this machine
        throw err;
      }
      expect(out).toMatch(/leaf\.pem: OK/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it('reads the marker extensions from the DER (leaf and intermediate carry different ones)', () => {
    expect(extensionOids(Buffer.from(pki.x5c[0], 'base64'))).toContain(APPLE_LEAF_MARKER_OID);
    expect(extensionOids(Buffer.from(pki.x5c[1], 'base64'))).toContain(APPLE_INTERMEDIATE_MARKER_OID);
    expect(extensionOids(Buffer.from(pki.x5c[1], 'base64'))).not.toContain(APPLE_LEAF_MARKER_OID);
    expect(decodeOid(Buffer.from('2a864886f76364060b01', 'hex'))).toBe('1.2.840.113635.100.6.11.1');
  });
});

describe('verifyAppleJws: forgeries are refused with 40002', () => {
  it('a payload edited after signing', () => {
    const [h, , s] = parts(signAppleJws(payload, pki));
    refused(() => verifyAppleJws(`${h}.${b64json({ ...payload, productId: 'vip.year' })}.${s}`, trust), /signature does not verify/);
  });

  it('a signature by another key under the genuine chain', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    refused(() => verifyAppleJws(signAppleJws(payload, { x5c: pki.x5c, leafKeyPem: other }), trust), /signature does not verify/);
  });

  it('a chain that ends at another root, even one that names itself like the trusted root', () => {
    const forged = generateApplePki({ now: NOW });
    refused(() => verifyAppleJws(signAppleJws(payload, forged), trust), /trusted root/);
  });

  it('the trusted root copied into x5c[2] does not help a forged intermediate', () => {
    const forged = generateApplePki({ now: NOW });
    const x5c: ApplePki['x5c'] = [forged.x5c[0], forged.x5c[1], pki.x5c[2]];
    refused(() => verifyAppleJws(signAppleJws(payload, { x5c, leafKeyPem: forged.leafKeyPem }), trust), /trusted root/);
  });

  it('a leaf from another chain under the genuine intermediate', () => {
    const forged = generateApplePki({ now: NOW });
    const x5c: ApplePki['x5c'] = [forged.x5c[0], pki.x5c[1], pki.x5c[2]];
    refused(() => verifyAppleJws(signAppleJws(payload, { x5c, leafKeyPem: forged.leafKeyPem }), trust), /not issued by the intermediate/);
  });

  it('an expired leaf, and a leaf not valid yet (the clock is injected)', () => {
    const expired = generateApplePki({ now: NOW, leafNotBefore: NOW - 400 * DAY, leafNotAfter: NOW - DAY });
    refused(() => verifyAppleJws(signAppleJws(payload, expired), { roots: parseAppleRoots([expired.rootPem]), now: () => NOW }), /leaf certificate has expired/);
    const early = generateApplePki({ now: NOW, leafNotBefore: NOW + DAY, leafNotAfter: NOW + 400 * DAY });
    refused(() => verifyAppleJws(signAppleJws(payload, early), { roots: parseAppleRoots([early.rootPem]), now: () => NOW }), /not valid yet/);
    // the same genuine chain is refused once the clock passes the leaf's end
    refused(() => verifyAppleJws(signAppleJws(payload, pki), { ...trust, now: () => NOW + 400 * DAY }), /leaf certificate has expired/);
  });

  it('a leaf or intermediate without Apple marker extension', () => {
    const noLeaf = generateApplePki({ now: NOW, leafMarker: false });
    refused(() => verifyAppleJws(signAppleJws(payload, noLeaf), { roots: parseAppleRoots([noLeaf.rootPem]), now: () => NOW }), /receipt signing extension/);
    const noInter = generateApplePki({ now: NOW, intermediateMarker: false });
    refused(() => verifyAppleJws(signAppleJws(payload, noInter), { roots: parseAppleRoots([noInter.rootPem]), now: () => NOW }), /WWDR intermediate extension/);
  });

  it('another algorithm, a short chain, or something that is not a JWS', () => {
    const [, p, s] = parts(signAppleJws(payload, pki));
    refused(() => verifyAppleJws(`${b64json({ alg: 'none', x5c: pki.x5c })}.${p}.${s}`, trust), /alg must be ES256/);
    refused(() => verifyAppleJws(`${b64json({ alg: 'HS256', x5c: pki.x5c })}.${p}.${s}`, trust), /alg must be ES256/);
    const head2 = b64json({ alg: 'ES256', x5c: pki.x5c.slice(0, 2) });
    const sig2 = sign('sha256', Buffer.from(`${head2}.${p}`), { key: pki.leafKeyPem, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    refused(() => verifyAppleJws(`${head2}.${p}.${sig2}`, trust), /three certificates/);
    refused(() => verifyAppleJws('a.b', trust), /three base64url parts/);
    refused(() => verifyAppleJws(`${b64json({ alg: 'ES256', x5c: ['AAAA', 'AAAA', 'AAAA'] })}.${p}.${s}`, trust), /not a certificate/);
    refused(() => verifyAppleJws(42, trust), /must be a string/);
  });
});

describe('parseAppleRoots', () => {
  it('refuses a config without a root, or with something that is not a CA certificate (40003)', () => {
    expect(() => parseAppleRoots([])).toThrow(KeyConfigError);
    expect(() => parseAppleRoots(['not a pem'])).toThrow(/rootCertificates\[0\]/);
    const leafPem = new X509Certificate(Buffer.from(pki.x5c[0], 'base64')).toString();
    expect(() => parseAppleRoots([leafPem])).toThrow(/not a CA/);
  });
});
