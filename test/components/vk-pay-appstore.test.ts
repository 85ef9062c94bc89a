// @vitest-environment happy-dom
/**
 * <vk-pay> paying in the App Store (iOS App, pay-flow.ts): StoreKit buys, the server verifies what the device got,
 * and the transaction is finished only once the server confirmed it.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ClientPayment } from '../../uni_modules/vk-pay/components/vk-pay/api-types';
import { calls, clickPay, created, final, h, mountPay, script, settle, useVkPayHarness } from './support/vk-pay-harness';

useVkPayHarness();

describe('<vk-pay> App Store (iOS App)', () => {
  const TOKEN = '3f1b6c1e-4b9a-5d2e-8c7f-1a2b3c4d5e6f';
  const payment: ClientPayment = { kind: 'appleiap', orderInfo: { productid: 'coins.60', quantity: 1, username: TOKEN, manualFinishTransaction: true } };
  const bought = { transactionIdentifier: '2000000123', transactionReceipt: 'MIIT' + 'A'.repeat(40), transactionState: '1', payment: { productid: 'coins.60', username: TOKEN } };

  function storeKit(finished: Array<{ id?: string; serverCallsBefore: string[] }>) {
    h.bridge.storeKit = {
      purchase: async () => bought,
      finish: async (tx) => { finished.push({ id: tx.transactionIdentifier, serverCallsBefore: calls.map((c) => c.method) }); },
      restore: async () => [],
    };
    const memory = new Map<string, string>();
    h.bridge.orderMemory = { remember: (t, o) => { memory.set(t, o); }, orderOf: (t) => memory.get(t), forget: (t) => { memory.delete(t); } };
  }

  it('buys with StoreKit, has the server verify what the device got, finishes the transaction only then, and shows paid', async () => {
    script.create = created('T-APPLE', payment);
    script.queries = [final('T-APPLE', 'paid')];
    const finished: Array<{ id?: string; serverCallsBefore: string[] }> = [];
    storeKit(finished);
    const w = mountPay({ provider: 'appleiap', payType: 'app', type: 'coins', goodsId: 'c60', amount: undefined });
    await clickPay(w, 2);
    expect(calls[1]).toMatchObject({ method: 'verifyApplePurchase', body: { out_trade_no: 'T-APPLE', transaction_id: '2000000123', receipt: bought.transactionReceipt } });
    expect(finished).toEqual([{ id: '2000000123', serverCallsBefore: ['createPayment', 'verifyApplePurchase'] }]);
    expect(h.bridge.paid).toHaveLength(0); // not the WeChat/Alipay sheet
    await vi.advanceTimersByTimeAsync(1000);
    await settle(calls.length + 1);
    expect(w.emitted('success')![0][0]).toMatchObject({ out_trade_no: 'T-APPLE', status: 'paid' });
  });

  it('a purchase the server refuses shows the error and is not finished (StoreKit keeps it)', async () => {
    script.create = created('T-APPLE-NO', payment);
    script.queries = [{ code: 40001, msg: 'the App Store transaction belongs to another order', errCode: 40001, errMsg: 'x' }];
    const finished: Array<{ id?: string; serverCallsBefore: string[] }> = [];
    storeKit(finished);
    const w = mountPay({ provider: 'appleiap', payType: 'app', type: 'coins', goodsId: 'c60', amount: undefined });
    await clickPay(w, 2);
    expect(calls.map((c) => c.method)).toEqual(['createPayment', 'verifyApplePurchase']);
    expect(finished).toHaveLength(0);
    expect(w.emitted('fail')![0][0]).toMatchObject({ reason: 'error', code: 40001, out_trade_no: 'T-APPLE-NO' });
  });
});
