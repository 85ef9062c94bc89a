/** The admin bearer token of the local host: generated once into `${VKPAY_HOME}/admin-token` (mode 0600). */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function ensureAdminToken(home: string): string {
  const file = path.join(home, 'admin-token');
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
