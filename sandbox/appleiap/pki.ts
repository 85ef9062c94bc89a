/**
 * The sandbox's stand-in for Apple's PKI: a root CA, a WWDR-like intermediate and a receipt-signing leaf, all
 * ECDSA P-256, built as real X.509 v3 DER with node:crypto signing the TBSCertificate. The leaf and intermediate
 * carry Apple's marker extensions, so the provider's chain check runs unchanged against them; options let tests
 * build the broken chains a forger would send (expired, not yet valid, missing marker, other root).
 */
import { createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject, X509Certificate } from 'node:crypto';

const APPLE_LEAF_MARKER_OID = '1.2.840.113635.100.6.11.1';
const APPLE_INTERMEDIATE_MARKER_OID = '1.2.840.113635.100.6.2.1';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer, unused = 0) => tlv(0x03, Buffer.from([unused]), b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));

function integer(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) v = v.subarray(1);
  return tlv(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(ms: number): Buffer {
  const iso = new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  const year = new Date(ms).getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))), set(seq(oid('2.5.4.10'), utf8('vk-pay sandbox'))));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
/** sha256WithRSAEncryption, with the NULL parameters RSA algorithm identifiers carry */
const RSA_SHA256 = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

/** Attribute types a distinguished name may use here (X.520). */
const RDN_OIDS = { C: '2.5.4.6', ST: '2.5.4.8', L: '2.5.4.7', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3' } as const;
/** One attribute per RDN, in the order they are encoded (outermost first: C, O, OU, CN as CAs write them). */
export type DistinguishedName = Array<[keyof typeof RDN_OIDS, string]>;

function dn(rdns: DistinguishedName): Buffer {
  // countryName is a PrintableString (RFC 5280); the rest UTF8String
  return seq(...rdns.map(([t, v]) => set(seq(oid(RDN_OIDS[t]), t === 'C' ? tlv(0x13, Buffer.from(v, 'ascii')) : utf8(v)))));
}
const ext = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

export interface CertSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signingKey: KeyObject;
  notBefore: number;
  notAfter: number;
  ca: boolean;
  /** extra extension OIDs with a NULL value (Apple's markers) */
  markers?: string[];
  /** full names instead of `CN=subject/issuer, O=vk-pay sandbox` (WeChat's and Alipay's CAs) */
  subjectName?: DistinguishedName;
  issuerName?: DistinguishedName;
  /** the serial's big-endian bytes (default 12 random bytes) */
  serial?: Buffer;
  /** how the issuer signs (default ECDSA with SHA-256; `rsa-sha256` when signingKey is RSA) */
  signature?: 'ecdsa-sha256' | 'rsa-sha256';
}

/** One X.509 v3 certificate, DER. */
export function buildCertificate(spec: CertSpec): Buffer {
  const extensions = [
    ext('2.5.29.19', true, spec.ca ? seq(bool(true)) : seq()),
    ext('2.5.29.15', true, spec.ca ? bits(Buffer.from([0x06]), 1) : bits(Buffer.from([0x80]), 7)),
    ...(spec.markers ?? []).map((m) => ext(m, false, Buffer.from([0x05, 0x00]))),
  ];
  const alg = spec.signature === 'rsa-sha256' ? RSA_SHA256 : ECDSA_SHA256;
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(spec.serial ?? randomBytes(12)),
    alg,
    spec.issuerName ? dn(spec.issuerName) : name(spec.issuer),
    seq(time(spec.notBefore), time(spec.notAfter)),
    spec.subjectName ? dn(spec.subjectName) : name(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }) as Buffer,
    tlv(0xa3, seq(...extensions)),
  );
  return seq(tbs, alg, bits(sign('sha256', tbs, spec.signingKey)));
}

export const derToPem = (der: Buffer): string =>
  `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

export interface ApplePki {
  rootPem: string;
  /** x5c as Apple sends it: base64 DER of leaf, intermediate, root */
  x5c: [string, string, string];
  /** the leaf's private key (PKCS#8 PEM): what signs transactions and notifications */
  leafKeyPem: string;
}

export interface PkiOptions {
  /** ms epoch the certificates are built around (default now) */
  now?: number;
  /** leaf validity, ms around `now` (default one year before and after) */
  leafNotBefore?: number;
  leafNotAfter?: number;
  /** leave Apple's marker extension off the leaf / intermediate */
  leafMarker?: boolean;
  intermediateMarker?: boolean;
  rootName?: string;
}

const YEAR = 365 * 24 * 3600 * 1000;
const p256 = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** A fresh root -> intermediate -> leaf chain shaped like Apple's. */
export function generateApplePki(opts: PkiOptions = {}): ApplePki {
  const now = opts.now ?? Date.now();
  const root = p256();
  const inter = p256();
  const leaf = p256();
  const rootName = opts.rootName ?? 'vk-pay sandbox Apple Root CA';
  const interName = 'vk-pay sandbox Worldwide Developer Relations CA';
  const rootDer = buildCertificate({ subject: rootName, issuer: rootName, publicKey: root.publicKey, signingKey: root.privateKey, notBefore: now - 10 * YEAR, notAfter: now + 20 * YEAR, ca: true });
  const interDer = buildCertificate({
    subject: interName, issuer: rootName, publicKey: inter.publicKey, signingKey: root.privateKey, notBefore: now - 5 * YEAR, notAfter: now + 10 * YEAR, ca: true,
    markers: opts.intermediateMarker === false ? [] : [APPLE_INTERMEDIATE_MARKER_OID],
  });
  const leafDer = buildCertificate({
    subject: 'vk-pay sandbox Mac App Store and iTunes Store Receipt Signing', issuer: interName, publicKey: leaf.publicKey, signingKey: inter.privateKey,
    notBefore: opts.leafNotBefore ?? now - YEAR, notAfter: opts.leafNotAfter ?? now + YEAR, ca: false,
    markers: opts.leafMarker === false ? [] : [APPLE_LEAF_MARKER_OID],
  });
  return {
    rootPem: derToPem(rootDer),
    x5c: [leafDer.toString('base64'), interDer.toString('base64'), rootDer.toString('base64')],
    leafKeyPem: leaf.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/** ES256 compact JWS with the chain in x5c, as the App Store signs transactions and notifications. */
export function signAppleJws(payload: Record<string, unknown>, pki: Pick<ApplePki, 'x5c' | 'leafKeyPem'>): string {
  const head = Buffer.from(JSON.stringify({ alg: 'ES256', x5c: pki.x5c })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const sig = sign('sha256', Buffer.from(`${head}.${body}`), { key: pki.leafKeyPem, dsaEncoding: 'ieee-p1363' });
  return `${head}.${body}.${sig.toString('base64url')}`;
}

/** Sanity for callers that load a stored PKI: the root parses and the leaf key matches the leaf certificate. */
export function checkApplePki(pki: ApplePki): void {
  const leaf = new X509Certificate(Buffer.from(pki.x5c[0], 'base64'));
  const key = createPublicKey(pki.leafKeyPem).export({ type: 'spki', format: 'der' }) as Buffer;
  if (!key.equals(leaf.publicKey.export({ type: 'spki', format: 'der' }) as Buffer)) throw new Error('sandbox Apple PKI: leaf key does not match its certificate');
  new X509Certificate(pki.rootPem);
}
