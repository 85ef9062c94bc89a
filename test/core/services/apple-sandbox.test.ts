/**
 * The App Store purchase through the sandbox App Store, as a device does it: createPayment -> the device buys
 * (POST /sandbox/control/pay) -> verifyApplePurchase with what the device got: the signed transaction, its id
 * (App Store Server API, JWT-authenticated, production first then the sandbox host) or the legacy receipt
 * (/verifyReceipt, 21007 from production then the sandbox host). A receipt cannot pay a second order; a wrong
 * shared secret or in-app purchase key is refused.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignatureError } from '../../../uni_modules/vk-pay/common/errors';
import { createFetchHttpClient } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import { createProvider } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { appleiapSchema } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/appleiap/config';
import { appAccountTokenFor } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/appleiap/transaction';
import { appleiapSandboxSection } from '../../../sandbox/appleiap/config-section';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';

const PRODUCT = 'com.example.vkpay.coins60';
let h: Harness;
let seq = 0;

beforeAll(async () => {
  h = await startHarness({
    appleiap: true,
    config: {
      orderTypes: {
        recharge: { amount: 'client', min: 1, max: 500_000 },
        coins: { amount: 'catalog', catalog: { c60: { amount: 600, subject: '60 coins', appleProductId: PRODUCT } } },
      },
    },
  });
  // notifications are another test's subject: here only what the device proves pays
  h.sandbox.control.setFaults('appleiap', { unreachable: true });
});
afterAll(async () => { await h?.close(); });

async function order(uid = `dev${++seq}`) {
  const o = await h.call<{ out_trade_no: string; payment: any }>('createPayment', { provider: 'appleiap', pay_type: 'app', type: 'coins', goods_id: 'c60' }, { uid });
  return { ...o, uid };
}
/** The device buys the order's product with the orderInfo's token, through the sandbox's HTTP control. */
async function buy(o: { out_trade_no: string; payment: any }): Promise<{ transaction_id: string; signed_transaction: string; receipt: string }> {
  const res = await fetch(`${h.base}/sandbox/control/pay`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel: 'appleiap', out_trade_no: o.out_trade_no, product_id: o.payment.orderInfo.productid, app_account_token: o.payment.orderInfo.username }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { transaction_id: string; signed_transaction: string; receipt: string };
}
const stored = async (no: string) => (await all(h.t.db, 'payment_orders')).find((x) => x.out_trade_no === no)!;

describe('verifyApplePurchase through the sandbox App Store', () => {
  it('the orderInfo token is the order\'s, and the sandbox device signs it into the transaction', async () => {
    const o = await order();
    expect(o.payment.orderInfo.username).toBe(appAccountTokenFor(o.out_trade_no));
    const bought = await buy(o);
    expect(bought.transaction_id).toMatch(/^\d+$/);
    expect(bought.signed_transaction.split('.')).toHaveLength(3);
  });

  it('pays with the signed transaction the device got', async () => {
    const o = await order();
    const bought = await buy(o);
    expect(await h.call('verifyApplePurchase', { out_trade_no: o.out_trade_no, signed_transaction: bought.signed_transaction }, { uid: o.uid }))
      .toMatchObject({ status: 'paid', transaction_id: bought.transaction_id });
  });

  it('pays with the transaction id, looked up with the App Store Server API (production, then the sandbox host)', async () => {
    const o = await order();
    const bought = await buy(o);
    expect(await h.call('verifyApplePurchase', { out_trade_no: o.out_trade_no, transaction_id: bought.transaction_id }, { uid: o.uid }))
      .toMatchObject({ status: 'paid', transaction_id: bought.transaction_id });
    expect(await stored(o.out_trade_no)).toMatchObject({ status: 'paid', transaction_id: bought.transaction_id, paid_source: 'verify' });
  });

  it('pays with the legacy receipt (production answers 21007, the sandbox host decodes it); the receipt cannot pay a second order', async () => {
    const a = await order();
    const b = await order();
    const boughtA = await buy(a);
    expect(await h.call('verifyApplePurchase', { out_trade_no: a.out_trade_no, receipt: boughtA.receipt }, { uid: a.uid }))
      .toMatchObject({ status: 'paid', transaction_id: boughtA.transaction_id });
    await expect(h.call('verifyApplePurchase', { out_trade_no: b.out_trade_no, receipt: boughtA.receipt }, { uid: b.uid })).rejects.toMatchObject({ code: 40001 });
    expect(await stored(b.out_trade_no)).toMatchObject({ status: 'pending' });
    const errors = await all(h.t.db, 'payment_errors');
    expect(errors.at(-1)).toMatchObject({ action: 'verifyApplePurchase', out_trade_no: b.out_trade_no });
  });

  it('an id the App Store does not know is refused as not found (40005), nothing changes', async () => {
    const o = await order();
    await expect(h.call('verifyApplePurchase', { out_trade_no: o.out_trade_no, transaction_id: '1999999999999' }, { uid: o.uid })).rejects.toMatchObject({ code: 40005 });
    expect(await stored(o.out_trade_no)).toMatchObject({ status: 'pending' });
  });
});

describe('the sandbox checks what Apple checks', () => {
  const provider = (over: Record<string, unknown>) => createProvider('appleiap', appleiapSchema.parse({ ...appleiapSandboxSection(h.base, h.sandbox.appleCredentials), ...over }), { http: createFetchHttpClient() });

  it('a wrong shared secret: /verifyReceipt answers 21004 and the purchase is refused with 40002', async () => {
    const o = await order();
    const bought = await buy(o);
    const p = provider({ receipt: { sharedSecret: 'not-the-shared-secret', url: `${h.base}/sandbox/appleiap/verifyReceipt`, sandboxUrl: `${h.base}/sandbox/appleiap/sandbox/verifyReceipt` } });
    const err = await p.verifyPurchase!({ out_trade_no: o.out_trade_no, product_id: PRODUCT, receipt: bought.receipt }).catch((e) => e);
    expect(err).toBeInstanceOf(SignatureError);
    expect(err.message).toMatch(/21004/);
  });

  it('a Server API token signed by another key is refused (401 -> 40003, a key problem)', async () => {
    const o = await order();
    const bought = await buy(o);
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const c = h.sandbox.appleCredentials.serverApi;
    const p = provider({ serverApi: { issuerId: c.issuerId, keyId: c.keyId, privateKeyPem: other, baseUrl: `${h.base}/sandbox/appleiap/sandbox/`, sandboxBaseUrl: `${h.base}/sandbox/appleiap/sandbox/` } });
    await expect(p.verifyPurchase!({ out_trade_no: o.out_trade_no, product_id: PRODUCT, transaction_id: bought.transaction_id })).rejects.toMatchObject({ code: 40003 });
  });

  it('a sandbox whose root the config does not trust: every signed transaction is refused (40002)', async () => {
    const o = await order();
    const bought = await buy(o);
    const p = provider({ rootCertificates: [h.sandbox.appleCredentials.untrusted.rootPem] });
    await expect(p.verifyPurchase!({ out_trade_no: o.out_trade_no, product_id: PRODUCT, signed_transaction: bought.signed_transaction })).rejects.toMatchObject({ code: 40002 });
    await expect(p.verifyPurchase!({ out_trade_no: o.out_trade_no, product_id: PRODUCT, transaction_id: bought.transaction_id })).rejects.toMatchObject({ code: 40002 });
  });

  it('Server API requests without a valid bearer JWT get 401', async () => {
    const url = `${h.base}/sandbox/appleiap/sandbox/inApps/v1/transactions/2000000000001`;
    expect((await fetch(url)).status).toBe(401);
    const forged = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.AAAA`;
    expect((await fetch(url, { headers: { Authorization: `Bearer ${forged}` } })).status).toBe(401);
  });
});
