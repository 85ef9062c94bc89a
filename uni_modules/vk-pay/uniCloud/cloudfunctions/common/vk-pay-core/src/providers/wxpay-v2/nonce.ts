import { randomBytes } from 'node:crypto';

/** nonce_str: 32 characters or fewer. */
export function createNonceV2(): string {
  return randomBytes(16).toString('hex');
}
