/**
 * WeChat Pay v2 (legacy XML API) signatures and the refund `req_info` cipher (docs/PROTOCOLS.md 3), as pure functions.
 * Shared by the wxpay-v2 provider and the sandbox gateway.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError } from '../../../../../../../common/errors';

export type V2SignType = 'MD5' | 'HMAC-SHA256';
export type V2Params = Record<string, string | number | undefined | null>;

/** Non-empty params except `sign`, keys sorted by ASCII (case-sensitive), `k=v&...&key=<APIv2 key>`. */
export function buildV2SignString(params: V2Params, key: string): string {
  const parts = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== null && String(params[k]) !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`);
  parts.push(`key=${key}`);
  return parts.join('&');
}

/** MD5 or HMAC-SHA256 (keyed with the APIv2 key, over a string that still ends `&key=...`), uppercase hex. */
export function signV2(params: V2Params, key: string, signType: V2SignType = 'MD5'): string {
  const data = buildV2SignString(params, key);
  if (signType === 'HMAC-SHA256') return createHmac('sha256', key).update(data, 'utf8').digest('hex').toUpperCase();
  return createHash('md5').update(data, 'utf8').digest('hex').toUpperCase();
}

/**
 * Constant-time comparison of two signatures, exactly as given: v2 signatures are uppercase hex, and a sign with
 * any character changed (its case included) is not the one WeChat made, so it is refused like any other.
 */
export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(String(a), 'utf8');
  const y = Buffer.from(String(b), 'utf8');
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}

/** True when params.sign matches the recomputed signature. */
export function verifyV2(params: V2Params, key: string, signType: V2SignType = 'MD5'): boolean {
  const given = params.sign;
  if (typeof given !== 'string' || given === '') return false;
  return safeEqualHex(given, signV2(params, key, signType));
}

/** The sign type a message declares (`sign_type` absent means MD5); anything else is refused. */
export function signTypeOf(params: V2Params, fallback: V2SignType = 'MD5'): V2SignType {
  const declared = params.sign_type;
  if (declared === undefined || declared === null || declared === '') return fallback;
  if (declared === 'MD5' || declared === 'HMAC-SHA256') return declared;
  throw new SignatureError(`unsupported sign_type ${String(declared)}`);
}

/** The req_info key: lowercase hex md5 of the APIv2 key, used as 32 ASCII bytes. */
export function reqInfoKey(apiV2Key: string): Buffer {
  return Buffer.from(createHash('md5').update(apiV2Key, 'utf8').digest('hex'), 'utf8');
}

/**
 * Decrypts a refund notification's `req_info` (base64, AES-256-ECB, PKCS#7). The notification carries no sign:
 * decrypting cleanly to XML is the only authenticity check, so any failure is a SignatureError.
 */
export function decryptReqInfo(reqInfoB64: string, apiV2Key: string): string {
  try {
    const decipher = createDecipheriv('aes-256-ecb', reqInfoKey(apiV2Key), null);
    const bytes = Buffer.concat([decipher.update(Buffer.from(reqInfoB64, 'base64')), decipher.final()]);
    const plain = bytes.toString('utf8');
    // ECB has no integrity check: a ciphertext altered in one block still decrypts, to 16 random bytes there.
    // Text that is not clean UTF-8 was not written by the gateway.
    if (!Buffer.from(plain, 'utf8').equals(bytes)) throw new Error('not UTF-8');
    if (!plain.trimStart().startsWith('<')) throw new Error('not XML');
    return plain;
  } catch {
    throw new SignatureError('req_info does not decrypt with this APIv2 key');
  }
}

/** The inverse, for the sandbox notifier and tests. */
export function encryptReqInfo(plainXml: string, apiV2Key: string): string {
  const cipher = createCipheriv('aes-256-ecb', reqInfoKey(apiV2Key), null);
  return Buffer.concat([cipher.update(plainXml, 'utf8'), cipher.final()]).toString('base64');
}
