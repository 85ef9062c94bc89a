/**
 * The sandbox App Store's keys, generated once per VKPAY_HOME (`${home}/sandbox/appleiap.json`, mode 0600) and
 * reused, so the local config and the sandbox agree: the chain that signs transactions and notifications (its
 * root is what the config trusts), a second chain under another root (what an untrusted signer sends), the
 * in-app purchase key of the Server API (the merchant signs with the private half; the sandbox verifies with the
 * public half, as Apple does) and the app-specific shared secret of /verifyReceipt.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { generateApplePki, type ApplePki } from './pki';

export interface AppleSandboxCredentials {
  bundleId: string;
  /** what signs (the config trusts pki.rootPem) */
  pki: ApplePki;
  /** a look-alike chain under a root nobody configured: the `tamper: 'chain'` fault signs with it */
  untrusted: ApplePki;
  serverApi: { issuerId: string; keyId: string; privateKeyPem: string; publicKeyPem: string };
  sharedSecret: string;
}

export function generateAppleCredentials(): AppleSandboxCredentials {
  const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    bundleId: 'com.example.vkpay',
    pki: generateApplePki(),
    untrusted: generateApplePki(),
    serverApi: {
      issuerId: randomUUID(), keyId: randomBytes(5).toString('hex').toUpperCase(),
      privateKeyPem: key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      publicKeyPem: key.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    },
    sharedSecret: randomBytes(16).toString('hex'),
  };
}

function isAppleCredentials(v: any): v is AppleSandboxCredentials {
  const chain = (p: any) => !!p && typeof p.rootPem === 'string' && Array.isArray(p.x5c) && p.x5c.length === 3 && typeof p.leafKeyPem === 'string';
  return !!v && typeof v.bundleId === 'string' && chain(v.pki) && chain(v.untrusted) && typeof v.sharedSecret === 'string'
    && !!v.serverApi && typeof v.serverApi.privateKeyPem === 'string' && typeof v.serverApi.publicKeyPem === 'string';
}

/** Loads `${home}/sandbox/appleiap.json`, or makes and writes it (a damaged file is replaced). */
export async function ensureAppleCredentials(home: string): Promise<AppleSandboxCredentials> {
  const file = path.join(home, 'sandbox', 'appleiap.json');
  try {
    const parsed = JSON.parse(await fs.readFile(file, 'utf8'));
    if (isAppleCredentials(parsed)) return parsed;
  } catch (err) {
    if (!(err instanceof SyntaxError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const creds = generateAppleCredentials();
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
  await fs.rename(tmp, file);
  return creds;
}
