/** Whether a genuine App Store transaction pays a given order: app, environment, product, order token, revocation. */
import { describe, expect, it } from 'vitest';
import { ParamError, SignatureError } from '../../../../uni_modules/vk-pay/common/errors';
import {
  appAccountTokenFor, checkTransactionPaysOrder, readTransaction, uuidV5, type PurchaseExpectation,
} from '../../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/appleiap/transaction';

const token = appAccountTokenFor('VKP20260601000001');
const payload = {
  transactionId: '2000000123', originalTransactionId: '2000000123', bundleId: 'com.example.app', productId: 'coins.60',
  type: 'Consumable', quantity: 1, purchaseDate: 1_780_000_000_000, signedDate: 1_780_000_000_500, environment: 'Sandbox', appAccountToken: token,
};
const expect_: PurchaseExpectation = { bundleId: 'com.example.app', productId: 'coins.60', appAccountToken: token, environments: ['Sandbox'] };

function refusedWith(over: Record<string, unknown>, exp: Partial<PurchaseExpectation>, message: RegExp) {
  const tx = readTransaction({ ...payload, ...over });
  let err: unknown;
  try { checkTransactionPaysOrder(tx, { ...expect_, ...exp }); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(ParamError);
  expect((err as ParamError).code).toBe(40001);
  expect((err as Error).message).toMatch(message);
}

describe('checkTransactionPaysOrder', () => {
  it('accepts the transaction bought for this order', () => {
    expect(() => checkTransactionPaysOrder(readTransaction(payload), expect_)).not.toThrow();
    // tokens compare as UUIDs: case does not matter
    expect(() => checkTransactionPaysOrder(readTransaction({ ...payload, appAccountToken: token.toUpperCase() }), expect_)).not.toThrow();
  });

  it('refuses another app, another environment, another product, another order, a revoked or multi-quantity purchase', () => {
    refusedWith({ bundleId: 'com.other.app' }, {}, /another app/);
    refusedWith({ environment: 'Production' }, {}, /environment Production is not accepted/);
    refusedWith({}, { productId: 'coins.600' }, /another product/);
    refusedWith({ appAccountToken: appAccountTokenFor('VKP20260601000002') }, {}, /another order/);
    refusedWith({ appAccountToken: undefined }, {}, /another order/);
    refusedWith({ revocationDate: 1_780_000_100_000, revocationReason: 0 }, {}, /refunded or revoked/);
    refusedWith({ quantity: 2 }, {}, /quantity/);
  });

  it('without an expected token (legacy receipts) the product and app still bind', () => {
    expect(() => checkTransactionPaysOrder(readTransaction({ ...payload, appAccountToken: undefined }), { ...expect_, appAccountToken: undefined })).not.toThrow();
  });
});

describe('readTransaction', () => {
  it('refuses a signed payload without the fields every transaction has (40002)', () => {
    for (const k of ['transactionId', 'bundleId', 'productId', 'purchaseDate', 'environment']) {
      const p: Record<string, unknown> = { ...payload };
      delete p[k];
      expect(() => readTransaction(p)).toThrow(SignatureError);
    }
    expect(() => readTransaction({ ...payload, transactionId: 123 })).toThrow(SignatureError);
  });
});

describe('appAccountTokenFor', () => {
  it('is a version 5 UUID, the same for the same order and different across orders', () => {
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(appAccountTokenFor('VKP20260601000001')).toBe(token);
    expect(appAccountTokenFor('VKP20260601000002')).not.toBe(token);
  });

  it('uuidV5 matches the RFC 4122 construction (DNS namespace, www.example.com)', () => {
    const dns = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex');
    expect(uuidV5(dns, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });
});
