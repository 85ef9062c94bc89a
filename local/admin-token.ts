/**
 * Secrets the local host generates once under `${VKPAY_HOME}` (mode 0600, never committed): the admin bearer token
 * (`admin-token`) and the uni-id token secret (`uni-id-token-secret`) the demo's uni-id config reads.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function ensureAdminToken(home: string): string {
  return ensureSecretFile(path.join(home, 'admin-token'));
}

export function ensureUniIdTokenSecret(home: string): string {
  return ensureSecretFile(path.join(home, 'uni-id-token-secret'));
}

function ensureSecretFile(file: string): string {
  if (fs.existsSync(file)) {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  }
  const token = randomBytes(32).toString('hex');
  // `wx` would race with a parallel start; write-then-rename keeps the file whole either way.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, token + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return token;
}
