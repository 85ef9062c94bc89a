/**
 * config.example.js is what a user copies to go live: it must pass the real config schema as written (with its
 * key files in place), so a copy only needs real values, never a structural fix.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateApplePki } from '../../sandbox/appleiap/pki';
import { parseConfig } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/config/load';

const EXAMPLE = path.resolve(__dirname, '../../uni_modules/uni-config-center/uniCloud/cloudfunctions/common/uni-config-center/vk-pay/config.example.js');

describe('uni-config-center/vk-pay/config.example.js', () => {
  it('passes the config schema once its key files exist', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vkpay-example-'));
    mkdirSync(path.join(dir, 'keys'));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const priv = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const pub = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    for (const f of ['wxpay_apiclient_key.pem', 'alipay_app_private_key.pem']) writeFileSync(path.join(dir, 'keys', f), priv);
    for (const f of ['wxpay_pub_key.pem', 'alipay_public_key.pem']) writeFileSync(path.join(dir, 'keys', f), pub);
    // the App Store section: a root certificate and the in-app purchase key (EC P-256), shaped like Apple's
    writeFileSync(path.join(dir, 'keys', 'AppleRootCA-G3.pem'), generateApplePki().rootPem);
    writeFileSync(path.join(dir, 'keys', 'apple_iap_key.p8'), generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    // Loaded as written: uni-config-center has no dependency on vk-pay-core, so the example may require only Node's own modules.
    const source = readFileSync(EXAMPLE, 'utf8');
    const required = [...source.matchAll(/require\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
    expect(required.every((m) => ['fs', 'path', 'crypto'].includes(m)), required.join(', ')).toBe(true);
    writeFileSync(path.join(dir, 'config.js'), source);

    const raw = createRequire(path.join(dir, 'index.js'))('./config.js');
    const config = parseConfig(raw);
    expect(config.env).toBe('production');
    expect(config.notifyUrl.startsWith('https://')).toBe(true);
    expect(config.sync.budgetMs).toBe(50_000);
    expect(config.alerts.webhooks.map((w) => w.kind)).toEqual(['dingtalk']);
    expect(Object.keys(config.orderTypes).sort()).toEqual(['coins', 'custom', 'episode', 'goods', 'recharge', 'vip']);
    expect(Object.keys(config.providers).sort()).toEqual(['alipay', 'appleiap', 'wxpay', 'wxpay-virtual']);
    expect(config.providers['wxpay-virtual']).toMatchObject({ env: 0, offerId: '1450000000' });
    expect(config.auth).toBe('uni-id');
    expect(config.adminRoles).toEqual(['admin']);
  });
});
