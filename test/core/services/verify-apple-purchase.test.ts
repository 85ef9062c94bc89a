/**
 * verifyApplePurchase through the real core and database: a purchase the device proves with a signed
 * transaction pays its order once, through the one transition; every forgery and every genuine purchase of
 * something else is refused with its code, an error row, and no state change; a transaction id pays at most
 * one order, ever; a restore changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApplePki, signAppleJws, type ApplePki } from '../../../sandbox/appleiap/pki';
import { appAccountTokenFor } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/appleiap/transaction';
import { all } from '../support/db';
import { startHarness, type Harness } from '../support/harness';

const BUNDLE = 'com.example.vkpay';
let h: Harness;
let pki: ApplePki;
/** a second trusted chain whose leaf has expired: refused for its dates, not for its root */
let expiredChain: ApplePki;
let txSeq = 2_000_000_000;

beforeAll(async () => {
  pki = generateApplePki();
  expiredChain = generateApplePki({ leafNotBefore: Date.now() - 10 * 86_400_000, leafNotAfter: Date.now() - 86_400_000 });
  h = await startHarness({
    config: {
      providers: { appleiap: { bundleId: BUNDLE, environments: ['Sandbox'], rootCertificates: [pki.rootPem, expiredChain.rootPem] } },
      orderTypes: {
        recharge: { amount: 'client', min: 1, max: 500_000 },
        coins: { amount: 'catalog', catalog: { c60: { amount: 600, subject: '60 coins', appleProductId: 'com.example.coins60' }, c300: { amount: 3000, subject: '300 coins', appleProductId: 'com.example.coins300' } } },
        gift: { amount: 'catalog', catalog: { plain: { amount: 100, subject: 'No App Store product' } } },
      },
    },
  });
});
afterAll(async () => { await h?.close(); });

let uidSeq = 0;
/** A fresh order of a fresh buyer (the same buyer's identical create within 5 minutes would answer the same order). */
async function order(uid = 'buyer', goods_id = 'c60'): Promise<{ out_trade_no: string; payment: any }> {
  return h.call('createPayment', { provider: 'appleiap', pay_type: 'app', type: 'coins', goods_id, out_trade_no: `AP${Date.now()}${++uidSeq}` }, { uid });
}
function transaction(out_trade_no: string, over: Record<string, unknown> = {}, signer: Pick<ApplePki, 'x5c' | 'leafKeyPem'> = pki) {
  const id = String(++txSeq);
  const payload = {
    transactionId: id, originalTransactionId: id, bundleId: BUNDLE, productId: 'com.example.coins60', type: 'Consumable', quantity: 1,
    purchaseDate: Date.now() - 1000, signedDate: Date.now(), environment: 'Sandbox', appAccountToken: appAccountTokenFor(out_trade_no), ...over,
  };
  return { id, jws: signAppleJws(payload, signer) };
}
const stored = async (no: string) => (await all(h.t.db, 'payment_orders')).find((o) => o.out_trade_no === no)!;
async function refused(params: Record<string, unknown>, code: number, uid = 'buyer') {
  const errorsBefore = (await all(h.t.db, 'payment_errors')).length;
  await expect(h.call('verifyApplePurchase', params, { uid })).rejects.toMatchObject({ code });
  const errors = await all(h.t.db, 'payment_errors');
  expect(errors.length).toBe(errorsBefore + 1);
  expect(errors.at(-1)).toMatchObject({ action: 'verifyApplePurchase' });
}

describe('createPayment for appleiap', () => {
  it('hands the client the StoreKit orderInfo: the catalog item\'s product and the order\'s token', async () => {
    const o = await order();
    expect(o.payment).toEqual({ kind: 'appleiap', orderInfo: { productid: 'com.example.coins60', quantity: 1, username: appAccountTokenFor(o.out_trade_no), manualFinishTransaction: true } });
    expect(await stored(o.out_trade_no)).toMatchObject({ status: 'pending', channel: 'appleiap', provider_product_id: 'com.example.coins60' });
  });

  it('refuses order types that name no App Store product', async () => {
    await expect(h.call('createPayment', { provider: 'appleiap', pay_type: 'app', type: 'gift', goods_id: 'plain' }, { uid: 'buyer' })).rejects.toMatchObject({ code: 40001 });
    await expect(h.call('createPayment', { provider: 'appleiap', pay_type: 'app', type: 'recharge', amount: 100 }, { uid: 'buyer' })).rejects.toMatchObject({ code: 40001 });
  });
});

describe('verifyApplePurchase with a signed transaction', () => {
  it('pays the order once; the same proof again answers the paid order without a second move', async () => {
    const o = await order();
    const tx = transaction(o.out_trade_no);
    const first = await h.call('verifyApplePurchase', { out_trade_no: o.out_trade_no, signed_transaction: tx.jws }, { uid: 'buyer' });
    expect(first).toMatchObject({ out_trade_no: o.out_trade_no, status: 'paid', amount: 600, transaction_id: tx.id });
    const again = await h.call('verifyApplePurchase', { out_trade_no: o.out_trade_no, signed_transaction: tx.jws }, { uid: 'buyer' });
    expect(again).toMatchObject({ status: 'paid', transaction_id: tx.id });
    const doc = await stored(o.out_trade_no);
    expect(doc).toMatchObject({ status: 'paid', transaction_id: tx.id, paid_source: 'verify' });
    expect(doc.history).toHaveLength(1);
  });

  it('a restore (a new id for the original purchase) leaves the paid order as it is', async () => {
    const o = await order();
    const tx = transaction(o.out_trade_no);
    await h.call('verifyApplePurchase', { out_trade_no: o.out_trade_no, signed_transaction: tx.jws }, { uid: 'buyer' });
    const restored = transaction(o.out_trade_no, { originalTransactionId: tx.id });
    expect(await h.call('verifyApplePurchase', { out_trade_no: o.out_trade_no, signed_transaction: restored.jws }, { uid: 'buyer' })).toMatchObject({ status: 'paid', transaction_id: tx.id });
    expect((await stored(o.out_trade_no)).history).toHaveLength(1);
    expect((await all(h.t.db, 'payment_transactions')).filter((t) => t.transaction_id === restored.id)).toHaveLength(0);
  });

  it('one App Store transaction pays one order, ever: signed again for a second order it is refused by the unique key', async () => {
    const a = await order();
    const b = await order();
    const tx = transaction(a.out_trade_no);
    await h.call('verifyApplePurchase', { out_trade_no: a.out_trade_no, signed_transaction: tx.jws }, { uid: 'buyer' });
    // the same transaction id, carrying b's token (as if Apple had signed it so): the index refuses the second order
    const reused = signAppleJws({ transactionId: tx.id, originalTransactionId: tx.id, bundleId: BUNDLE, productId: 'com.example.coins60', type: 'Consumable', quantity: 1, purchaseDate: Date.now(), signedDate: Date.now(), environment: 'Sandbox', appAccountToken: appAccountTokenFor(b.out_trade_no) }, pki);
    await refused({ out_trade_no: b.out_trade_no, signed_transaction: reused }, 40001);
    expect(await stored(b.out_trade_no)).toMatchObject({ status: 'pending' });
    expect((await stored(b.out_trade_no)).transaction_id).toBeUndefined();
  });

  it('refuses, with no state change, a purchase made for another order, product, app or environment', async () => {
    const o = await order();
    const other = await order();
    await refused({ out_trade_no: o.out_trade_no, signed_transaction: transaction(other.out_trade_no).jws }, 40001);
    await refused({ out_trade_no: o.out_trade_no, signed_transaction: transaction(o.out_trade_no, { productId: 'com.example.coins300' }).jws }, 40001);
    await refused({ out_trade_no: o.out_trade_no, signed_transaction: transaction(o.out_trade_no, { bundleId: 'com.other.app' }).jws }, 40001);
    await refused({ out_trade_no: o.out_trade_no, signed_transaction: transaction(o.out_trade_no, { environment: 'Production' }).jws }, 40001);
    await refused({ out_trade_no: o.out_trade_no, signed_transaction: transaction(o.out_trade_no, { revocationDate: Date.now(), revocationReason: 1 }).jws }, 40001);
    const doc = await stored(o.out_trade_no);
    expect(doc.status).toBe('pending');
    expect(doc.history).toHaveLength(0);
  });

  it('refuses forgeries with 40002: an edited payload, a chain from another root, an expired leaf', async () => {
    const o = await order();
    const [head, , sig] = transaction(o.out_trade_no).jws.split('.');
    const edited = Buffer.from(JSON.stringify({ transactionId: '1', originalTransactionId: '1', bundleId: BUNDLE, productId: 'com.example.coins60', type: 'Consumable', quantity: 1, purchaseDate: 1, signedDate: 1, environment: 'Sandbox', appAccountToken: appAccountTokenFor(o.out_trade_no) })).toString('base64url');
    await refused({ out_trade_no: o.out_trade_no, signed_transaction: `${head}.${edited}.${sig}` }, 40002);
    await refused({ out_trade_no: o.out_trade_no, signed_transaction: transaction(o.out_trade_no, {}, generateApplePki()).jws }, 40002);
    await refused({ out_trade_no: o.out_trade_no, signed_transaction: transaction(o.out_trade_no, {}, expiredChain).jws }, 40002);
    expect(JSON.stringify((await all(h.t.db, 'payment_errors')).at(-1))).toMatch(/leaf certificate has expired/);
    expect((await stored(o.out_trade_no)).status).toBe('pending');
  });

  it('checks the caller and the parameters before asking the provider', async () => {
    const o = await order('owner');
    await refused({ out_trade_no: o.out_trade_no, signed_transaction: transaction(o.out_trade_no).jws }, 40009, 'someone-else');
    await refused({ out_trade_no: o.out_trade_no }, 40001, 'owner');
    await refused({ out_trade_no: o.out_trade_no, signed_transaction: transaction(o.out_trade_no).jws, transaction_id: '123' }, 40001, 'owner');
    await refused({ out_trade_no: 'NOSUCHORDER1', signed_transaction: transaction(o.out_trade_no).jws }, 40005, 'owner');
    // proofs this config cannot check (no Server API key, no shared secret) are refused, not guessed at
    await refused({ out_trade_no: o.out_trade_no, transaction_id: '2000000001' }, 40001, 'owner');
    await refused({ out_trade_no: o.out_trade_no, receipt: 'MIIT' + 'A'.repeat(40) }, 40001, 'owner');
    expect((await stored(o.out_trade_no)).status).toBe('pending');
  });
});
