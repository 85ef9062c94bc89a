/**
 * Alipay certificate mode (docs/PROTOCOLS.md section 4): every request carries app_cert_sn and alipay_root_cert_sn.
 * SN = md5(issuer DN with its RDNs in reverse order as `short=value` joined by ',' + decimal serial), as
 * alipay-sdk's antcertutil computes it; the root SN joins the SNs of the RSA-signed certificates of the root
 * bundle (signature OID 1.2.840.113549.1.1.*) with '_'. Node's X509Certificate gives issuer and serial; the
 * signature algorithm OID is read from the DER (Node 20 does not expose it).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { KeyConfigError } from '../../../../../../../common/errors';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function splitPemCertificates(text: string): string[] {
  return text.match(PEM_CERT) ?? [];
}

/** One DER TLV header: where the content starts and how long it is. */
function tlv(der: Buffer, at: number): { tag: number; start: number; length: number } {
  const tag = der[at];
  let len = der[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
    start += n;
  }
  return { tag, start, length: len };
}

function decodeOid(bytes: Buffer): string {
  const parts = [Math.floor(bytes[0] / 40), bytes[0] % 40];
  let v = 0;
  for (let i = 1; i < bytes.length; i++) {
    v = v * 128 + (bytes[i] & 0x7f);
    if (!(bytes[i] & 0x80)) { parts.push(v); v = 0; }
  }
  return parts.join('.');
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE { OID, ... }, signature } */
export function signatureAlgorithmOid(cert: X509Certificate): string {
  const der = cert.raw;
  const outer = tlv(der, 0);
  const tbs = tlv(der, outer.start);
  const alg = tlv(der, tbs.start + tbs.length);
  const oid = tlv(der, alg.start);
  if (outer.tag !== 0x30 || alg.tag !== 0x30 || oid.tag !== 0x06) throw new Error('unexpected certificate structure');
  return decodeOid(der.subarray(oid.start, oid.start + oid.length));
}

export function certSn(cert: X509Certificate): string {
  const dn = cert.issuer.split('\n').filter(Boolean).reverse().join(',');
  const serial = BigInt(`0x${cert.serialNumber}`).toString(10);
  return createHash('md5').update(dn + serial, 'utf8').digest('hex');
}

function parseCert(pem: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new KeyConfigError(`${field} is not a valid certificate PEM`);
  }
}

/** app_cert_sn (or the SN of alipayCertPublicKey_RSA2.crt). */
export function alipayCertSn(pem: string, field: string): string {
  return certSn(parseCert(pem, field));
}

/** alipay_root_cert_sn over the root bundle. */
export function alipayRootCertSn(bundlePem: string, field: string): string {
  const certs = splitPemCertificates(bundlePem);
  if (certs.length === 0) throw new KeyConfigError(`${field} holds no certificate`);
  return certs
    .map((pem) => parseCert(pem, field))
    .filter((c) => signatureAlgorithmOid(c).startsWith('1.2.840.113549.1.1'))
    .map(certSn)
    .join('_');
}
