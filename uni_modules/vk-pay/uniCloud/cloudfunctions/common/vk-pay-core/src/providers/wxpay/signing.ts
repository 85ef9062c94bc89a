/**
 * WeChat Pay API v3 signatures, as small pure functions over the exact bytes (docs/PROTOCOLS.md section 2).
 * Used by the wxpay provider (client side) and by the sandbox (gateway side), so both sides build every signed
 * message with the same builder. Keys are KeyObjects (see ../keys.ts) or PEM text; clocks are injected.
 */
import { createCipheriv, createDecipheriv, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { SignatureError } from '../../../../../../../common/errors';

export type KeyInput = KeyObject | string;

export const AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';
/** |now - Wechatpay-Timestamp| >= this many seconds is refused (wechatpay-go FiveMinute). */
export const TIMESTAMP_WINDOW_SECONDS = 300;
/** WeChat's signature probes: they must fail verification (docs/PROTOCOLS.md section 2). */
export const SIGNTEST_PREFIX = 'WECHATPAY/SIGNTEST/';

/** `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`; BODY is '' for GET (the message still ends `\n\n`). */
export function buildV3RequestMessage(method: string, pathWithQuery: string, timestamp: string | number, nonce: string, body: string): string {
  return `${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** `TIMESTAMP\nNONCE\nRAW_BODY\n`: responses and notifications alike. */
export function buildV3ResponseMessage(timestamp: string | number, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** jsapi / mini-program paySign message: 4th line is `prepay_id=<id>`. */
export function buildPaySignMessage(appId: string, timeStamp: string, nonceStr: string, prepayId: string): string {
  return `${appId}\n${timeStamp}\n${nonceStr}\nprepay_id=${prepayId}\n`;
}

/** APP `sign` message: 4th line is the bare prepay_id (the most common mistake is adding `prepay_id=`). */
export function buildAppPaySignMessage(appId: string, timestamp: string, nonceStr: string, prepayId: string): string {
  return `${appId}\n${timestamp}\n${nonceStr}\n${prepayId}\n`;
}

/** SHA256withRSA (PKCS#1 v1.5), base64. */
export function signSha256Rsa(message: string, privateKey: KeyInput): string {
  return sign('sha256', Buffer.from(message, 'utf8'), privateKey).toString('base64');
}

/**
 * Verifies a base64 SHA256withRSA signature; false (never a throw) on any malformed input. Only canonical base64
 * counts: Node's decoder skips stray characters and missing padding, so `<signature>=` would otherwise verify.
 */
export function verifySha256Rsa(message: string, signatureB64: string, publicKey: KeyInput): boolean {
  if (typeof signatureB64 !== 'string' || signatureB64 === '' || signatureB64.startsWith(SIGNTEST_PREFIX)) return false;
  const signature = Buffer.from(signatureB64, 'base64');
  if (signature.toString('base64') !== signatureB64) return false;
  try {
    return verify('sha256', Buffer.from(message, 'utf8'), publicKey, signature);
  } catch {
    return false;
  }
}

/** 32 hex chars of randomness, the usual nonce_str shape. */
export function createNonce(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export interface AuthorizationParts {
  mchid: string;
  serialNo: string;
  nonce: string;
  timestamp: string | number;
  signature: string;
}

/** The Authorization header in the documented parameter order (wechatpay-go HeaderAuthorizationFormat). */
export function formatAuthorization(p: AuthorizationParts): string {
  return `${AUTH_SCHEMA} mchid="${p.mchid}",nonce_str="${p.nonce}",timestamp="${p.timestamp}",serial_no="${p.serialNo}",signature="${p.signature}"`;
}

/** Parses an Authorization header (any parameter order); null when it is not a v3 header. */
export function parseAuthorization(header: string): AuthorizationParts | null {
  if (typeof header !== 'string' || !header.startsWith(`${AUTH_SCHEMA} `)) return null;
  const fields: Record<string, string> = {};
  for (const m of header.slice(AUTH_SCHEMA.length + 1).matchAll(/(\w+)="([^"]*)"/g)) fields[m[1]] = m[2];
  const { mchid, nonce_str, timestamp, serial_no, signature } = fields;
  if (!mchid || !nonce_str || !timestamp || !serial_no || !signature) return null;
  return { mchid, nonce: nonce_str, timestamp, serialNo: serial_no, signature };
}

/** Signs one request: the header value for exactly these bytes. A fresh nonce/timestamp per attempt. */
export function signV3Request(args: {
  method: string; pathWithQuery: string; body: string; mchid: string; serialNo: string; privateKey: KeyInput;
  timestamp: number; nonce: string;
}): string {
  const message = buildV3RequestMessage(args.method, args.pathWithQuery, args.timestamp, args.nonce, args.body);
  const signature = signSha256Rsa(message, args.privateKey);
  return formatAuthorization({ mchid: args.mchid, serialNo: args.serialNo, nonce: args.nonce, timestamp: args.timestamp, signature });
}

/** A key WeChat signs with: a WeChat Pay public key (`PUB_KEY_ID_...`) or a platform certificate (hex serial). */
export interface VerificationKey {
  serial: string;
  key: KeyInput;
}

export interface WechatpaySignedHeaders {
  timestamp?: string;
  nonce?: string;
  signature?: string;
  serial?: string;
}

/** Picks the four Wechatpay-* headers; names are matched case-insensitively (hosts differ in what they pass on). */
export function pickWechatpayHeaders(headers: Record<string, string | string[] | undefined>): WechatpaySignedHeaders {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (v !== undefined) lower[k.toLowerCase()] = Array.isArray(v) ? v[0] : v;
  return {
    timestamp: lower['wechatpay-timestamp'],
    nonce: lower['wechatpay-nonce'],
    signature: lower['wechatpay-signature'],
    serial: lower['wechatpay-serial'],
  };
}

/**
 * Verifies a response or notification on its raw body: the probe prefix, the 300 s window (|now - ts| >= 300
 * refused), the key chosen by Wechatpay-Serial among several (rotation, both key modes at once), then RSA.
 * Throws SignatureError (40002) on any failure.
 */
export function verifyV3Signed(h: WechatpaySignedHeaders, rawBody: string, keys: readonly VerificationKey[], nowMs: number): void {
  const { timestamp, nonce, signature, serial } = h;
  if (!timestamp || !nonce || !signature || !serial) throw new SignatureError('missing Wechatpay-Timestamp/Nonce/Signature/Serial header');
  if (signature.startsWith(SIGNTEST_PREFIX)) throw new SignatureError('WeChat Pay signature probe (WECHATPAY/SIGNTEST/) refused');
  if (!/^\d{1,12}$/.test(timestamp)) throw new SignatureError('Wechatpay-Timestamp is not a number of seconds');
  const skew = Math.abs(Math.floor(nowMs / 1000) - Number(timestamp));
  if (skew >= TIMESTAMP_WINDOW_SECONDS) throw new SignatureError(`Wechatpay-Timestamp outside the ${TIMESTAMP_WINDOW_SECONDS} s window (${skew} s)`);
  const entry = keys.find((k) => k.serial === serial);
  if (!entry) throw new SignatureError(`unknown Wechatpay-Serial ${serial}`);
  if (!verifySha256Rsa(buildV3ResponseMessage(timestamp, nonce, rawBody), signature, entry.key)) {
    throw new SignatureError(`Wechatpay-Signature does not verify with key ${serial}`);
  }
}

/** Signs a response or notification body (the gateway side; used by the sandbox and tests). */
export function signV3Response(rawBody: string, privateKey: KeyInput, timestamp: number, nonce: string): string {
  return signSha256Rsa(buildV3ResponseMessage(timestamp, nonce, rawBody), privateKey);
}

/**
 * AEAD_AES_256_GCM as WeChat uses it: key = APIv3 key (32 UTF-8 bytes), iv = nonce (UTF-8), AAD may be empty,
 * base64(ciphertext || 16-byte tag). A wrong tag (tampered ciphertext, wrong key) is a SignatureError.
 */
export function decryptAeadAes256Gcm(apiV3Key: string, nonce: string, associatedData: string, ciphertextB64: string): string {
  const key = Buffer.from(apiV3Key, 'utf8');
  if (key.length !== 32) throw new SignatureError('APIv3 key must be 32 bytes');
  const data = Buffer.from(ciphertextB64 ?? '', 'base64');
  if (data.length < 16) throw new SignatureError('ciphertext shorter than the GCM tag');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce ?? '', 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    decipher.setAAD(Buffer.from(associatedData ?? '', 'utf8'));
    return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw new SignatureError('AEAD_AES_256_GCM decryption failed (tampered ciphertext or wrong APIv3 key)');
  }
}

/** The inverse, for the sandbox notifier and tests. */
export function encryptAeadAes256Gcm(apiV3Key: string, nonce: string, associatedData: string, plaintext: string): string {
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const out = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return out.toString('base64');
}
