/**
 * After a run: no private key, API key, APIv3 key or admin token in any log line or stored document. The
 * secrets are taken from the run's own credentials (a private key is recognised by lines of its PEM body, so a
 * key re-wrapped or stored without its header still counts), and every document of every collection the
 * plugin declares is read back.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { SandboxCredentials } from '../../sandbox/credentials';
import type { LocalDatabase } from '../../local/db/index';

const DATABASE_DIR = path.resolve(__dirname, '../../uni_modules/vk-pay/uniCloud/database');

export interface Secret { name: string; needle: string }

function pemNeedles(name: string, pem: string): Secret[] {
  const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  // Three full lines from the middle of the key: unique to it, and found however the PEM was re-wrapped once joined.
  const mid = Math.floor(body.length / 2);
  return [body.slice(mid - 1, mid + 2).join('').slice(0, 96)].map((needle) => ({ name, needle }));
}

export function secretsOf(creds: SandboxCredentials, adminToken?: string): Secret[] {
  const out: Secret[] = [
    { name: 'wxpay APIv3 key', needle: creds.wxpay.apiV3Key },
    { name: 'wxpay APIv2 key', needle: creds.wxpay.apiV2Key },
    ...pemNeedles('wxpay merchant private key', creds.wxpay.merchant.privateKeyPem),
    ...pemNeedles('wxpay platform private key', creds.wxpay.platform.privateKeyPem),
    ...pemNeedles('alipay app private key', creds.alipay.app.privateKeyPem),
    ...pemNeedles('alipay gateway private key', creds.alipay.alipay.privateKeyPem),
  ];
  if (adminToken) out.push({ name: 'admin token', needle: adminToken });
  return out;
}

/** Which secrets appear in the text (PEM needles are also looked for with the line breaks removed). */
export function findSecrets(text: string, secrets: Secret[]): string[] {
  const flat = text.replace(/\\n|\n/g, '');
  return secrets.filter((s) => text.includes(s.needle) || flat.includes(s.needle)).map((s) => s.name);
}

/** Every collection the plugin declares (uniCloud/database/*.schema.json). */
export function declaredCollections(): string[] {
  return readdirSync(DATABASE_DIR).filter((f) => f.endsWith('.schema.json')).map((f) => f.slice(0, -'.schema.json'.length)).sort();
}

/** Every stored document of the declared collections, as one JSON text per collection. */
export async function dumpDatabase(db: LocalDatabase): Promise<Record<string, { count: number; text: string }>> {
  const out: Record<string, { count: number; text: string }> = {};
  for (const name of declaredCollections()) {
    const rows: unknown[] = [];
    for (let skip = 0; ; skip += 500) {
      let q = db.collection(name).limit(500);
      if (skip) q = q.skip(skip);
      const { data } = await q.get();
      rows.push(...data);
      if (data.length < 500) break;
    }
    out[name] = { count: rows.length, text: JSON.stringify(rows) };
  }
  return out;
}

/** The leaks found in the database and the log text: `<secret> in <where>`. */
export async function secretLeaks(db: LocalDatabase, logText: string, secrets: Secret[]): Promise<string[]> {
  const leaks: string[] = [];
  for (const [name, { text }] of Object.entries(await dumpDatabase(db))) for (const s of findSecrets(text, secrets)) leaks.push(`${s} in ${name}`);
  for (const s of findSecrets(logText, secrets)) leaks.push(`${s} in the logs`);
  return leaks;
}
