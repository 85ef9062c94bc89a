/**
 * The sandbox's WeChat Pay platform-certificate mode, checked with node:crypto alone (not the providers' code):
 * /v3/certificates is signature-checked like every v3 call, lists real X.509 certificates issued by the
 * sandbox's Tenpay-like root and encrypted with the APIv3 key, and answers are signed by the listed certificate
 * named in Wechatpay-Serial; a public-key merchant has no certificates; the rotation walks WeChat's three steps.
 */
import { createDecipheriv, createVerify, X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { control, startSandbox, tradeNo, v3Call, type RawResponse, type RunningSandbox } from './helpers';

let s: RunningSandbox;
afterEach(async () => { await s?.close(); });

/** AEAD_AES_256_GCM as WeChat's spec writes it: key = APIv3 key bytes, IV = nonce bytes, last 16 bytes the tag. */
function decrypt(apiV3Key: string, c: { nonce: string; associated_data: string; ciphertext: string }): string {
  const raw = Buffer.from(c.ciphertext, 'base64');
  const d = createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(c.nonce, 'utf8'));
  d.setAAD(Buffer.from(c.associated_data, 'utf8'));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(0, raw.length - 16)), d.final()]).toString('utf8');
}

function signedBy(res: RawResponse, cert: X509Certificate): boolean {
  const v = createVerify('RSA-SHA256');
  v.update(`${res.headers['wechatpay-timestamp']}\n${res.headers['wechatpay-nonce']}\n${res.text}\n`);
  return v.verify(cert.publicKey, res.headers['wechatpay-signature'], 'base64');
}

async function listed(): Promise<{ res: RawResponse; certs: Array<{ entry: any; cert: X509Certificate }> }> {
  const res = await v3Call(s, 'GET', '/v3/certificates');
  expect(res.status).toBe(200);
  const certs = res.json().data.map((entry: any) => ({ entry, cert: new X509Certificate(decrypt(s.creds.wxpay.apiV3Key, entry.encrypt_certificate)) }));
  return { res, certs };
}

describe('public-key merchant', () => {
  beforeEach(async () => { s = await startSandbox({ persist: false }); });

  it('has no platform certificates: 404 RESOURCE_NOT_EXISTS, signed with the public key like every answer', async () => {
    const res = await v3Call(s, 'GET', '/v3/certificates');
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ code: 'RESOURCE_NOT_EXISTS' });
    expect(res.headers['wechatpay-serial']).toBe(s.creds.wxpay.platform.publicKeyId);
  });
});

describe('platform-certificate merchant', () => {
  beforeEach(async () => { s = await startSandbox({ persist: false, keyModes: { wxpay: 'platform-cert' } }); });

  it('lists real certificates under their serials, encrypted with the APIv3 key, and signs with the one it names', async () => {
    const { res, certs } = await listed();
    expect(certs).toHaveLength(1);
    const [{ entry, cert }] = certs;
    expect(entry).toMatchObject({ encrypt_certificate: { algorithm: 'AEAD_AES_256_GCM', associated_data: 'certificate' } });
    expect(entry.serial_no).toMatch(/^[0-9A-F]{40}$/);
    expect(cert.serialNumber.toUpperCase()).toBe(entry.serial_no);
    expect(entry.effective_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    expect(entry.expire_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    expect(cert.issuer).toContain('CN=Tenpay.com Root CA');
    expect(cert.subject).toContain('CN=Tenpay.com sign');
    const ca = new X509Certificate((await s.sandbox.certModes.wxpayPlatformCerts()).caPem);
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
    expect(res.headers['wechatpay-serial']).toBe(entry.serial_no);
    expect(signedBy(res, cert)).toBe(true);
    // and every other answer the same way (the public key no longer signs)
    const q = await v3Call(s, 'GET', `/v3/pay/transactions/out-trade-no/${tradeNo()}?mchid=${s.creds.wxpay.mchId}`);
    expect(q.status).toBe(404);
    expect(q.headers['wechatpay-serial']).toBe(entry.serial_no);
    expect(signedBy(q, cert)).toBe(true);
  });

  it('the download is signature-checked like every v3 call', async () => {
    const other = (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const forged = await v3Call(s, 'GET', '/v3/certificates', undefined, { key: other });
    expect(forged.status).toBe(401);
    expect(forged.json()).toMatchObject({ code: 'SIGN_ERROR' });
    const stale = await v3Call(s, 'GET', '/v3/certificates', undefined, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(401);
    expect(forged.text).not.toContain('encrypt_certificate');
  });

  it('rotation: the new certificate is listed first (old one expiring within 24 h), then signs, then the old one is gone', async () => {
    const before = (await listed()).certs[0];
    const added = await control(s, 'rotate-platform-cert', { channel: 'wxpay', step: 'add' });
    expect(added.json()).toMatchObject({ ok: true, signing: before.entry.serial_no });
    let now = await listed();
    expect(now.certs.map((c) => c.entry.serial_no)).toEqual([before.entry.serial_no, added.json().certificates[1]]);
    expect(Date.parse(now.certs[0].entry.expire_time) - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect(now.res.headers['wechatpay-serial']).toBe(before.entry.serial_no);
    const fresh = now.certs[1];
    expect(fresh.cert.serialNumber.toUpperCase()).not.toBe(before.entry.serial_no);

    expect((await control(s, 'rotate-platform-cert', { channel: 'wxpay', step: 'switch' })).json()).toMatchObject({ signing: fresh.entry.serial_no });
    now = await listed();
    expect(now.certs).toHaveLength(2);
    expect(now.res.headers['wechatpay-serial']).toBe(fresh.entry.serial_no);
    expect(signedBy(now.res, fresh.cert)).toBe(true);

    await control(s, 'rotate-platform-cert', { channel: 'wxpay', step: 'retire' });
    now = await listed();
    expect(now.certs.map((c) => c.entry.serial_no)).toEqual([fresh.entry.serial_no]);
  });

  it('control refuses a bad step, a channel without rotation, and rotation in public-key mode', async () => {
    expect((await control(s, 'rotate-platform-cert', { channel: 'wxpay', step: 'later' })).status).toBe(400);
    expect((await control(s, 'rotate-platform-cert', { channel: 'alipay' })).status).toBe(400);
    expect((await control(s, 'key-mode', { channel: 'wxpay', mode: 'cert' })).status).toBe(400);
    expect((await control(s, 'key-mode', { channel: 'wxpay', mode: 'public-key' })).json()).toMatchObject({ wxpay: 'public-key' });
    expect((await control(s, 'rotate-platform-cert', { channel: 'wxpay' })).status).toBe(400);
    expect((await v3Call(s, 'GET', '/v3/certificates')).status).toBe(404);
  });
});
