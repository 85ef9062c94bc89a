/**
 * WeChat message push rules for the mini program's server (docs/PROTOCOLS.md section 12): the push URL carries
 * `signature`, `timestamp`, `nonce` and, in safe mode, `encrypt_type=aes` and `msg_signature`; a JSON body is
 * `{ToUserName, Encrypt}`. Pure functions over the exact bytes, with the clock passed in, shared by the provider
 * (verify, decrypt) and the sandbox (encrypt, sign).
 *
 * - signature     = sha1(sorted [Token, timestamp, nonce] joined)           proves the sender knows the Token
 * - msg_signature = sha1(sorted [Token, timestamp, nonce, Encrypt] joined)  binds the ciphertext too
 * - AES key = base64decode(EncodingAESKey + '='): 43 characters -> 32 bytes; AES-256-CBC, IV = the key's first
 *   16 bytes, PKCS#7 padding to a 32-byte block; plaintext = 16 random bytes + 4-byte big-endian length + message
 *   + the receiving app's appid.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { KeyConfigError, SignatureError } from '../../../../../../../common/errors';

/** |now - timestamp| above this many seconds is a replay (the same window as the other channels). */
export const PUSH_TIMESTAMP_WINDOW_SECONDS = 300;
const PAD_BLOCK = 32;

/** sha1 hex of the parts sorted as strings and joined: both `signature` (3 parts) and `msg_signature` (4 parts). */
export function pushSignature(parts: readonly string[]): string {
  const sorted = [...parts].map(String).sort();
  return createHash('sha1').update(sorted.join(''), 'utf8').digest('hex');
}

/** The 32-byte AES key of an EncodingAESKey; KeyConfigError on anything but 43 base64 characters. */
export function aesKeyOf(encodingAESKey: string): Buffer {
  if (typeof encodingAESKey !== 'string' || !/^[A-Za-z0-9+/]{43}$/.test(encodingAESKey)) {
    throw new KeyConfigError('encodingAESKey must be the 43 characters the console shows');
  }
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  if (key.length !== 32) throw new KeyConfigError('encodingAESKey does not decode to 32 bytes');
  return key;
}

function equalHex(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected, 'utf8'), Buffer.from(given.toLowerCase(), 'utf8'));
}

export interface PushQuery {
  signature?: string;
  timestamp?: string;
  nonce?: string;
  encrypt_type?: string;
  msg_signature?: string;
}

/**
 * Checks a safe-mode push before anything is decrypted: the timestamp inside the window, then msg_signature over
 * the ciphertext (and `signature` when present). Throws SignatureError naming what failed.
 */
export function verifyPush(token: string, query: PushQuery, encrypt: string, nowMs: number, windowSeconds = PUSH_TIMESTAMP_WINDOW_SECONDS): void {
  const { timestamp, nonce } = query;
  if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) throw new SignatureError('push timestamp missing or malformed');
  if (typeof nonce !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(nonce)) throw new SignatureError('push nonce missing or malformed');
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > windowSeconds) {
    throw new SignatureError(`push timestamp outside the ${windowSeconds} s window (replayed or clock skew)`);
  }
  if (query.encrypt_type !== 'aes') throw new SignatureError('push is not in safe mode (encrypt_type=aes expected)');
  if (typeof encrypt !== 'string' || encrypt === '') throw new SignatureError('push has no Encrypt field');
  if (!equalHex(pushSignature([token, timestamp, nonce, encrypt]), query.msg_signature)) throw new SignatureError('push msg_signature mismatch');
  if (query.signature !== undefined && !equalHex(pushSignature([token, timestamp, nonce]), query.signature)) {
    throw new SignatureError('push signature mismatch');
  }
}

/** Decrypts a safe-mode `Encrypt` value; SignatureError when it is not ours (padding, length or appid wrong). */
export function decryptPush(aesKey: Buffer, encrypt: string, expectedAppId: string): string {
  let plain: Buffer;
  try {
    const raw = Buffer.from(encrypt, 'base64');
    if (raw.length === 0 || raw.length % 16 !== 0) throw new Error('length');
    const decipher = createDecipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16));
    decipher.setAutoPadding(false);
    plain = Buffer.concat([decipher.update(raw), decipher.final()]);
  } catch {
    throw new SignatureError('push ciphertext does not decrypt');
  }
  const pad = plain[plain.length - 1];
  if (pad < 1 || pad > PAD_BLOCK || pad > plain.length || !plain.subarray(plain.length - pad).every((b) => b === pad)) {
    throw new SignatureError('push plaintext padding is wrong');
  }
  const body = plain.subarray(0, plain.length - pad);
  if (body.length < 20) throw new SignatureError('push plaintext too short');
  const msgLen = body.readUInt32BE(16);
  if (20 + msgLen > body.length) throw new SignatureError('push plaintext length field is wrong');
  const appId = body.subarray(20 + msgLen).toString('utf8');
  if (appId !== expectedAppId) throw new SignatureError(`push is for app ${appId.slice(0, 32)}, not ${expectedAppId}`);
  return body.subarray(20, 20 + msgLen).toString('utf8');
}

/** The sender's side (sandbox): encrypts `message` for `appId`; `random16` is injectable for fixed vectors. */
export function encryptPush(aesKey: Buffer, message: string, appId: string, random16: Buffer = randomBytes(16)): string {
  if (random16.length !== 16) throw new Error('random prefix must be 16 bytes');
  const msg = Buffer.from(message, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length, 0);
  const body = Buffer.concat([random16, len, msg, Buffer.from(appId, 'utf8')]);
  const pad = PAD_BLOCK - (body.length % PAD_BLOCK);
  const padded = Buffer.concat([body, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}
