/**
 * The App Store verification is node:crypto only (X509Certificate, ES256 with ieee-p1363 signatures, the DER
 * reading of Apple's marker extensions): bundled for Node 16 as the cloud bundle is, it must verify a genuine
 * chain and refuse a forged one on every uniCloud runtime, and the Server API JWT it signs must pass the
 * sandbox's check there too.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNodeRuntime, UNICLOUD_NODE_VERSIONS } from './node-runtimes';

const ROOT = path.resolve(__dirname, '../..');
const CORE = path.join(ROOT, 'uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/appleiap');
const SCRIPT = `
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { generateApplePki, signAppleJws } from ${JSON.stringify(path.join(ROOT, 'sandbox/appleiap/pki'))};
import { checkServerApiAuth } from ${JSON.stringify(path.join(ROOT, 'sandbox/appleiap/server-auth'))};
import { parseAppleRoots, verifyAppleJws } from ${JSON.stringify(path.join(CORE, 'jws'))};
import { serverApiJwt } from ${JSON.stringify(path.join(CORE, 'server-api'))};
const pki = generateApplePki();
const trust = { roots: parseAppleRoots([pki.rootPem]), now: Date.now };
const out = { node: process.version, payload: verifyAppleJws(signAppleJws({ transactionId: '1' }, pki), trust).payload, forged: 'accepted', edited: 'accepted' };
try { verifyAppleJws(signAppleJws({ transactionId: '1' }, generateApplePki()), trust); } catch (e) { out.forged = e.code; }
const [h, , s] = signAppleJws({ transactionId: '1' }, pki).split('.');
try { verifyAppleJws(h + '.' + Buffer.from('{"transactionId":"2"}').toString('base64url') + '.' + s, trust); } catch (e) { out.edited = e.code; }
const key = createPrivateKey(pki.leafKeyPem);
out.jwt = checkServerApiAuth('Bearer ' + serverApiJwt({ issuerId: 'i', keyId: 'K', bundleId: 'b', privateKey: key, now: Date.now() }),
  { issuerId: 'i', keyId: 'K', bundleId: 'b', publicKeyPem: createPublicKey(key).export({ type: 'spki', format: 'pem' }) }, Date.now()) ?? 'ok';
console.log(JSON.stringify(out));
`;

let dir = '';
let bundle = '';
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-apple-rt-'));
  fs.writeFileSync(path.join(dir, 'check.ts'), SCRIPT);
  bundle = path.join(dir, 'check.cjs');
  await build({ entryPoints: [path.join(dir, 'check.ts')], bundle: true, platform: 'node', target: 'node16', format: 'cjs', outfile: bundle, logLevel: 'warning' });
});
afterAll(() => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });

describe.each([...UNICLOUD_NODE_VERSIONS, undefined])('App Store verification on Node %s', (version) => {
  it('verifies a genuine chain, refuses a forged chain and an edited payload (40002), signs an acceptable Server API JWT', async () => {
    const node = version ? (await ensureNodeRuntime(version)).bin : process.execPath;
    const out = JSON.parse(execFileSync(node, [bundle], { encoding: 'utf8' }));
    expect(out.node).toBe(version ? `v${version}` : process.version);
    expect(out).toMatchObject({ payload: { transactionId: '1' }, forged: 40002, edited: 40002, jwt: 'ok' });
  }, 10 * 60_000);
});
