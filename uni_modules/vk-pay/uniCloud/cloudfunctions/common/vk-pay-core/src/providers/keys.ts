/**
 * Key parsing shared by every provider. Parsing a PEM costs far more than the RSA operation that follows
 * (see bench/providers.bench.ts), so parsed KeyObjects are cached by their source text. A key that does not
 * parse is a configuration problem: KeyConfigError (40003) naming the config field, never a bare crypto error.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { KeyConfigError } from '../../../../../../common/errors';

/** Small LRU-ish bound: a process holds a handful of merchants, but key text must not grow without limit. */
const MAX_CACHED = 128;
const privateCache = new Map<string, KeyObject>();
const publicCache = new Map<string, KeyObject>();

function remember(cache: Map<string, KeyObject>, text: string, key: KeyObject): KeyObject {
  if (cache.size >= MAX_CACHED) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(text, key);
  return key;
}

/** Alipay's key tool hands out bare base64 DER (PKCS#8 "Java" or PKCS#1 "non-Java") without PEM armour. */
function isBareBase64(text: string): boolean {
  return !text.includes('-----BEGIN') && /^[A-Za-z0-9+/=\s]+$/.test(text);
}

function parsePrivate(text: string): KeyObject {
  if (!isBareBase64(text)) return createPrivateKey(text);
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

function parsePublic(text: string): KeyObject {
  // createPublicKey also accepts an X.509 certificate PEM (platform certificates) and extracts its key.
  if (!isBareBase64(text)) return createPublicKey(text);
  const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

/** A private key (PEM, or bare base64 DER) as a cached KeyObject; `field` names the config entry in errors. */
export function loadPrivateKey(text: unknown, field: string): KeyObject {
  if (typeof text !== 'string' || text.trim() === '') throw new KeyConfigError(`${field} is missing`);
  const hit = privateCache.get(text);
  if (hit) return hit;
  let key: KeyObject;
  try {
    key = parsePrivate(text.trim());
  } catch {
    throw new KeyConfigError(`${field} is not a valid private key (PEM or base64 DER)`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new KeyConfigError(`${field} must be an RSA key`);
  return remember(privateCache, text, key);
}

/** A public key (PEM, certificate PEM, or bare base64 DER) as a cached KeyObject. */
export function loadPublicKey(text: unknown, field: string): KeyObject {
  if (typeof text !== 'string' || text.trim() === '') throw new KeyConfigError(`${field} is missing`);
  const hit = publicCache.get(text);
  if (hit) return hit;
  let key: KeyObject;
  try {
    key = parsePublic(text.trim());
  } catch {
    throw new KeyConfigError(`${field} is not a valid public key (PEM, certificate or base64 DER)`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new KeyConfigError(`${field} must be an RSA key`);
  return remember(publicCache, text, key);
}

/** A required non-empty string config value. */
export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new KeyConfigError(`${field} is missing`);
  return value;
}
