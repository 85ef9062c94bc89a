/**
 * vk-pay follows Alipay's change of certificate through the sandbox (providers/alipay/cert-store.ts): payments
 * keep being notified and queried while Alipay adds a certificate and switches to it - zero refusals, exactly one
 * download of the new certificate, shared by notifications arriving together. A forged certificate offered for
 * an SN (self-signed, served by a fake gateway in place of Alipay's download) is refused (40002) with a sampled
 * error row before anything is written, and costs at most one download a minute.
 */
import { createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCertificate, derToPem, type DistinguishedName } from '../../../sandbox/appleiap/pki';
import type { AlipayCerts } from '../../../sandbox/alipay/certs';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import type { HttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http';
import { alipayCertSn } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/cert';
import { buildAlipayNotifySignContent } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/signing';
import type { IncomingNotification } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';
import { paidSandboxOrder, signedNotification } from '../support/notifications';

let h: Harness;
afterEach(async () => { await h?.close(); });

const DOWNLOAD = 'alipay.open.app.alipaycert.download';

async function order(h: Harness, uid: string, amount = 100): Promise<string> {
  return (await h.call('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'recharge', amount }, { uid })).out_trade_no;
}

async function pay(h: Harness, uid: string): Promise<string> {
  const no = await order(h, uid);
  expect(h.sandbox.control.pay('alipay', no).ok).toBe(true);
  return no;
}

const snOf = (n: IncomingNotification) => new URLSearchParams(n.rawBody).get('alipay_cert_sn');

describe('alipay certificate mode across Alipay\'s change of certificate', () => {
  it('payments keep being notified and queried while Alipay adds a certificate and signs under it: one download', async () => {
    h = await startHarness({ keyModes: { alipay: 'cert' } });
    const certs: AlipayCerts = await h.sandbox.certModes.alipay();
    const first = certs.files.sn.alipay_cert_sn;
    const paid: string[] = [];
    const steps: Record<number, 'add' | 'switch'> = { 2: 'add', 4: 'switch' };
    for (let i = 0; i < 7; i++) {
      if (steps[i]) await h.sandbox.certModes.rotateAlipay(steps[i]);
      paid.push(await pay(h, `u${i}`));
      if (i % 2 === 1) expect(await h.sandbox.control.settled(10_000)).toBe(true);
    }
    expect(await h.sandbox.control.settled(10_000)).toBe(true);
    const second = certs.signingSn();
    expect(second).not.toBe(first);

    const sns = h.received.map((r) => snOf(r.req));
    expect(sns).toContain(first);
    expect(sns).toContain(second);
    expect(h.received.filter((r) => r.status >= 300)).toEqual([]);
    expect(await all(h.t.db, 'vk_pay_notify_rejections')).toEqual([]);
    const orders = await all(h.t.db, 'payment_orders');
    expect(orders.filter((o) => paid.includes(o.out_trade_no)).map((o) => o.status)).toEqual(paid.map(() => 'paid'));
    // answers under the new SN too (a query of a pending order), still with that one download
    const pending = await order(h, 'q1');
    await expect(h.call('queryPayment', { out_trade_no: pending }, { uid: 'q1' })).resolves.toMatchObject({ status: 'pending' });
    expect(certs.downloads).toBe(1);
  }, 60_000);

  it('notifications arriving together under a new SN share one download', async () => {
    h = await startHarness({ keyModes: { alipay: 'cert' } });
    const certs = await h.sandbox.certModes.alipay();
    const orders: string[] = [];
    for (let i = 0; i < 5; i++) orders.push(await order(h, `c${i}`, 100 + i));
    await h.sandbox.certModes.rotateAlipay('all');
    const notes = orders.map((no) => signedNotification(h.creds, 'alipay', paidSandboxOrder(h, 'alipay', no)));
    expect(notes.map(snOf)).toEqual(orders.map(() => certs.signingSn()));
    const replies = await Promise.all(notes.map((n) => h.notify('alipay', n)));
    expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(certs.downloads).toBe(1);
    expect((await all(h.t.db, 'payment_orders')).map((o) => o.status)).toEqual(orders.map(() => 'paid'));
  }, 60_000);
});

const LEAF_NAME: DistinguishedName = [['C', 'CN'], ['O', 'vk-pay sandbox'], ['OU', 'Alipay.com'], ['CN', '支付宝(中国)网络技术有限公司']];

function selfSigned(): { pem: string; key: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Date.now();
  const pem = derToPem(buildCertificate({
    subject: '', issuer: '', subjectName: LEAF_NAME, issuerName: LEAF_NAME, serial: Buffer.from([0x31, ...randomBytes(15)]),
    signature: 'rsa-sha256', publicKey, signingKey: privateKey, notBefore: now - 60_000, notAfter: now + 365 * 86_400_000, ca: false,
  }));
  return { pem, key: privateKey };
}

/** A genuine notification re-signed by `key` under `sn` (sign over everything but sign, sign_type and alipay_cert_sn). */
function resigned(n: IncomingNotification, sn: string, key: KeyObject): IncomingNotification {
  const form = Object.fromEntries(new URLSearchParams(n.rawBody));
  delete form.sign;
  delete form.alipay_cert_sn;
  const sign = createSign('RSA-SHA256').update(buildAlipayNotifySignContent(form)).sign(key, 'base64');
  return { headers: n.headers, rawBody: new URLSearchParams({ ...form, alipay_cert_sn: sn, sign }).toString() };
}

describe('a forged Alipay certificate', () => {
  it('offered by a fake gateway for a notification\'s SN: refused (40002) with an error row, nothing written, one download a minute', async () => {
    let clock = Date.now();
    const forged = selfSigned();
    const sn = alipayCertSn(forged.pem, 'forged');
    const asked: string[] = [];
    const real = createFetchHttpClient();
    // the fake gateway: Alipay's certificate download answered with the forged certificate, the rest passed on
    const http: HttpClient = async (req) => {
      if (new URL(req.url).searchParams.get('method') !== DOWNLOAD) return real(req);
      asked.push(JSON.parse(new URLSearchParams(req.body ?? '').get('biz_content') ?? '{}').alipay_cert_sn);
      const inner = JSON.stringify({ code: '10000', msg: 'Success', alipay_cert_content: Buffer.from(forged.pem).toString('base64') });
      return { status: 200, headers: {}, body: `{"alipay_open_app_alipaycert_download_response":${inner},"alipay_cert_sn":"${sn}","sign":"${createSign('RSA-SHA256').update(inner).sign(forged.key, 'base64')}"}` };
    };
    h = await startHarness({ keyModes: { alipay: 'cert' }, deps: { http }, now: () => clock });
    const no = await order(h, 'f1');
    const genuine = () => signedNotification(h.creds, 'alipay', paidSandboxOrder(h, 'alipay', no), { nowMs: clock });

    const reply = await h.notify('alipay', resigned(genuine(), sn, forged.key));
    expect(reply.statusCode).toBe(500);
    expect(asked).toEqual([sn]);
    expect((await all(h.t.db, 'payment_orders'))[0].status).toBe('pending');
    expect(await all(h.t.db, 'payment_transactions')).toEqual([]);
    const rejections = await all(h.t.db, 'vk_pay_notify_rejections');
    expect(rejections[0].first_reason).toBe('signature');
    const sampled = JSON.stringify(await all(h.t.db, 'payment_errors'));
    expect(sampled).toContain('40002');
    expect(sampled).toContain('does not chain to the configured alipayRootCertPem');

    // again within the minute: refused without asking; after it, asked once more and refused again
    expect((await h.notify('alipay', resigned(genuine(), sn, forged.key))).statusCode).toBe(500);
    expect(asked).toHaveLength(1);
    clock += 61_000;
    expect((await h.notify('alipay', resigned(genuine(), sn, forged.key))).statusCode).toBe(500);
    expect(asked).toHaveLength(2);
    expect((await all(h.t.db, 'vk_pay_notify_rejections')).reduce((n, r) => n + r.count, 0)).toBe(3);
    expect((await all(h.t.db, 'payment_orders'))[0].status).toBe('pending');

    // the genuine notification, under the configured certificate, is accepted
    expect((await h.notify('alipay', genuine())).statusCode).toBe(200);
    expect((await all(h.t.db, 'payment_orders'))[0].status).toBe('paid');
    expect(asked).toHaveLength(2);
  }, 60_000);

  it('an answer claiming a paid order under a forged certificate: queryPayment refuses it (40002) with an error row, the order stays pending', async () => {
    const forged = selfSigned();
    const sn = alipayCertSn(forged.pem, 'forged');
    const real = createFetchHttpClient();
    const signed = (key: string, inner: string) => ({ status: 200, headers: {}, body: `{"${key}":${inner},"alipay_cert_sn":"${sn}","sign":"${createSign('RSA-SHA256').update(inner).sign(forged.key, 'base64')}"}` });
    let downloads = 0;
    // the fake gateway answers the query itself ("paid") and the download, both under the forged certificate
    const http: HttpClient = async (req) => {
      const method = new URL(req.url).searchParams.get('method');
      if (method === DOWNLOAD) {
        downloads += 1;
        return signed('alipay_open_app_alipaycert_download_response', JSON.stringify({ code: '10000', msg: 'Success', alipay_cert_content: Buffer.from(forged.pem).toString('base64') }));
      }
      if (method !== 'alipay.trade.query') return real(req);
      const no = JSON.parse(new URLSearchParams(req.body ?? '').get('biz_content') ?? '{}').out_trade_no;
      return signed('alipay_trade_query_response', JSON.stringify({ code: '10000', msg: 'Success', out_trade_no: no, trade_no: '2026120222001400000000000001', trade_status: 'TRADE_SUCCESS', total_amount: '1.00', send_pay_date: '2026-12-02 12:00:00' }));
    };
    h = await startHarness({ keyModes: { alipay: 'cert' }, deps: { http } });
    const no = await order(h, 'a1');
    await expect(h.call('queryPayment', { out_trade_no: no }, { uid: 'a1' })).rejects.toMatchObject({ code: 40002 });
    await expect(h.call('queryPayment', { out_trade_no: no }, { uid: 'a1' })).rejects.toMatchObject({ code: 40002 });
    expect(downloads).toBe(1);
    expect((await all(h.t.db, 'payment_orders'))[0].status).toBe('pending');
    expect(await all(h.t.db, 'payment_transactions')).toEqual([]);
    const errors = JSON.stringify(await all(h.t.db, 'payment_errors'));
    expect(errors).toContain('40002');
    expect(errors).toContain('does not chain to the configured alipayRootCertPem');
  }, 60_000);

  it('made-up SNs on the public notify URL cost a few downloads a minute in all, not one per SN', async () => {
    const asked: string[] = [];
    const real = createFetchHttpClient();
    const http: HttpClient = async (req) => {
      if (new URL(req.url).searchParams.get('method') === DOWNLOAD) asked.push('x');
      return real(req);
    };
    h = await startHarness({ keyModes: { alipay: 'cert' }, deps: { http } });
    const no = await order(h, 'm1');
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    for (let i = 0; i < 12; i++) {
      const n = resigned(signedNotification(h.creds, 'alipay', paidSandboxOrder(h, 'alipay', no)), randomBytes(16).toString('hex'), stranger);
      expect((await h.notify('alipay', n)).statusCode).toBe(500);
    }
    expect(asked).toHaveLength(5);
    expect((await all(h.t.db, 'payment_orders'))[0].status).toBe('pending');
  }, 60_000);
});
