/**
 * The gateway side of the three protocols' cryptography (PROTOCOLS.md sections 1.3, 1.5, 1.6, 2, 3).
 * The merchant side signs what the gateway verifies and the other way round, so the message builders are the
 * same on both sides; the encrypt directions (AEAD_AES_256_GCM resources, v2 req_info) exist only here.
 */
import { createCipheriv, createHash, createHmac, createPrivateKey, createPublicKey, createSign, createVerify, timingSafeEqual, type KeyObject } from 'node:crypto';

const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

function privateKey(pem: string): KeyObject {
  let key = privateKeys.get(pem);
  if (!key) privateKeys.set(pem, (key = createPrivateKey(pem)));
  return key;
}

function publicKey(pem: string): KeyObject {
  let key = publicKeys.get(pem);
  if (!key) publicKeys.set(pem, (key = createPublicKey(pem)));
  return key;
}

/** SHA256withRSA (PKCS#1 v1.5), base64: WeChat v3 and Alipay RSA2 alike. */
export function rsaSign(message: string, privateKeyPem: string): string {
  return createSign('RSA-SHA256').update(message, 'utf8').sign(privateKey(privateKeyPem), 'base64');
}

export function rsaVerify(message: string, signatureB64: string, publicKeyPem: string): boolean {
  if (typeof signatureB64 !== 'string' || signatureB64 === '') return false;
  try {
    return createVerify('RSA-SHA256').update(message, 'utf8').verify(publicKey(publicKeyPem), signatureB64, 'base64');
  } catch {
    return false;
  }
}

/** WeChat v3 request message: five lines, each ending in \n; the body is '' for GET. */
export function v3RequestMessage(method: string, canonicalUrl: string, timestamp: string, nonce: string, body: string): string {
  return `${method}\n${canonicalUrl}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** WeChat v3 response / notification message: timestamp, nonce, raw body, each ending in \n. */
export function v3ResponseMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** AEAD_AES_256_GCM as WeChat v3 notifications use it: base64(ciphertext || 16-byte tag). */
export function aeadEncrypt(apiV3Key: string, nonce: string, associatedData: string, plaintext: string): string {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([body, cipher.getAuthTag()]).toString('base64');
}

export type V2SignType = 'MD5' | 'HMAC-SHA256';

/** WeChat v2: non-empty params except sign, ASCII-sorted k=v&..., then &key=<key>; MD5 or HMAC-SHA256, upper hex. */
export function v2Sign(params: Record<string, unknown>, apiV2Key: string, signType: V2SignType): string {
  const text = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== null && String(params[k]) !== '')
    .sort()
    .map((k) => `${k}=${String(params[k])}`)
    .join('&') + `&key=${apiV2Key}`;
  const hex = signType === 'MD5'
    ? createHash('md5').update(text, 'utf8').digest('hex')
    : createHmac('sha256', apiV2Key).update(text, 'utf8').digest('hex');
  return hex.toUpperCase();
}

export function v2SignMatches(params: Record<string, unknown>, apiV2Key: string, signType: V2SignType): boolean {
  const given = typeof params.sign === 'string' ? params.sign.toUpperCase() : '';
  const expected = v2Sign(params, apiV2Key, signType);
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

/** WeChat v2 refund notification req_info: AES-256-ECB (PKCS#7) keyed by the lower-case hex MD5 of the API key. */
export function v2EncryptReqInfo(plaintext: string, apiV2Key: string): string {
  const key = Buffer.from(createHash('md5').update(apiV2Key, 'utf8').digest('hex'), 'utf8');
  const cipher = createCipheriv('aes-256-ecb', key, null);
  return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/**
 * Alipay sign content: every parameter except the excluded ones, empty values dropped, ASCII-sorted,
 * `k=v` joined with & over raw (un-encoded) values. Requests exclude `sign`; notifications `sign` and `sign_type`.
 */
export function alipaySignContent(params: Record<string, string>, exclude: readonly string[]): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}
