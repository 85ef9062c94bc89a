/**
 * Optional encryption of the user_info kept on orders (nickname, avatar, phone...): AES-256-GCM with the
 * config's 32-byte `userInfoKey`. Stored as `{ alg, iv, tag, data }` (base64) so a later key or algorithm change
 * stays readable.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KeyConfigError } from '../../../../../../common/errors';

export interface EncryptedBlob { alg: 'aes-256-gcm'; iv: string; tag: string; data: string }

function keyOf(hex: string): Buffer {
  const key = Buffer.from(hex, 'hex');
  if (key.length !== 32) throw new KeyConfigError('userInfoKey must be 32 bytes (64 hex characters)');
  return key;
}

export function encryptUserInfo(value: unknown, keyHex: string): EncryptedBlob {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(keyHex), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return { alg: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

export function decryptUserInfo<T = unknown>(blob: EncryptedBlob, keyHex: string): T {
  const decipher = createDecipheriv('aes-256-gcm', keyOf(keyHex), Buffer.from(blob.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(blob.tag, 'base64'));
  const text = Buffer.concat([decipher.update(Buffer.from(blob.data, 'base64')), decipher.final()]).toString('utf8');
  return JSON.parse(text) as T;
}

/** What is stored on the order: encrypted when a key is configured, otherwise sanitised plain data. */
export function protectUserInfo(value: unknown, keyHex: string | undefined): unknown {
  if (value === undefined || value === null) return undefined;
  return keyHex ? encryptUserInfo(value, keyHex) : value;
}
