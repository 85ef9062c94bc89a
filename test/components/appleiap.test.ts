/**
 * The App Store flow on the device: the transaction is finished only after the server confirmed the purchase, so
 * a failure between purchase and confirmation leaves it with StoreKit and a restore proves it again. StoreKit is
 * played by the test (there is no iPhone here); the server's side is tested through the sandbox elsewhere.
 */
import { describe, expect, it } from 'vitest';
import {
  buyFromAppStore, proofOf, restoreAppStorePurchases, type AppleClientPayment, type OrderMemory, type StoreKitBridge, type StoreKitTransaction,
} from '../../uni_modules/vk-pay/components/vk-pay/appleiap';
import { requestPaymentArgs } from '../../uni_modules/vk-pay/components/vk-pay/platform';

const TOKEN = '3f1b6c1e-4b9a-5d2e-8c7f-1a2b3c4d5e6f';
const payment: AppleClientPayment = { kind: 'appleiap', orderInfo: { productid: 'coins.60', quantity: 1, username: TOKEN, manualFinishTransaction: true } };

function fakeKit(answer: StoreKitTransaction | 'cancel' | Error, held: StoreKitTransaction[] = []) {
  const finished: StoreKitTransaction[] = [];
  const kit: StoreKitBridge = {
    async purchase() {
      if (answer instanceof Error) throw answer;
      if (answer !== 'cancel') held.push(answer);
      return answer;
    },
    async finish(tx) { finished.push(tx); held.splice(held.indexOf(tx), 1); },
    async restore() { return [...held]; },
  };
  return { kit, finished, held };
}
function memory(): OrderMemory & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, remember: (t, o) => { map.set(t, o); }, orderOf: (t) => map.get(t), forget: (t) => { map.delete(t); } };
}
const tx: StoreKitTransaction = { transactionIdentifier: '2000000123', transactionReceipt: 'MIIT' + 'A'.repeat(60), transactionState: '1', payment: { productid: 'coins.60', username: TOKEN } };

describe('buyFromAppStore', () => {
  it('proves the purchase to the server, then finishes it; the order memory is cleared', async () => {
    const { kit, finished } = fakeKit(tx);
    const mem = memory();
    const order: string[] = [];
    const outcome = await buyFromAppStore(kit, mem, 'ORDER000001', payment, async (proof) => {
      order.push(`verify ${proof.transaction_id}`);
      expect(finished).toHaveLength(0); // not finished before the server answered
    });
    expect(outcome).toBe('ok');
    expect(order).toEqual(['verify 2000000123']);
    expect(finished).toEqual([tx]);
    expect(mem.map.size).toBe(0);
  });

  it('a confirmation that fails leaves the transaction with StoreKit; a later restore proves and finishes it', async () => {
    const { kit, finished, held } = fakeKit(tx);
    const mem = memory();
    await expect(buyFromAppStore(kit, mem, 'ORDER000002', payment, async () => { throw new Error('network lost'); })).rejects.toThrow('network lost');
    expect(finished).toHaveLength(0);
    expect(held).toHaveLength(1);
    expect(mem.orderOf(TOKEN)).toBe('ORDER000002');

    const verified: Array<[string, unknown]> = [];
    const summary = await restoreAppStorePurchases(kit, mem, async (no, proof) => { verified.push([no, proof]); });
    expect(summary).toEqual({ confirmed: ['ORDER000002'], failed: [], unknown: 0 });
    expect(verified).toEqual([['ORDER000002', { transaction_id: '2000000123', receipt: tx.transactionReceipt }]]);
    expect(finished).toEqual([tx]);
    expect(held).toHaveLength(0);
  });

  it('a cancelled sheet proves nothing and finishes nothing; a failed sheet rejects before any proof', async () => {
    const cancelled = fakeKit('cancel');
    let asked = false;
    expect(await buyFromAppStore(cancelled.kit, memory(), 'ORDER000003', payment, async () => { asked = true; })).toBe('cancel');
    const failed = fakeKit(new Error('App Store purchase failed'));
    await expect(buyFromAppStore(failed.kit, memory(), 'ORDER000004', payment, async () => { asked = true; })).rejects.toThrow();
    expect(asked).toBe(false);
  });
});

describe('restoreAppStorePurchases', () => {
  it('leaves with StoreKit what this device knows no order for, and what the server does not confirm', async () => {
    const unknownTx: StoreKitTransaction = { ...tx, transactionIdentifier: '2000000999', payment: { username: 'other-token' } };
    const refusedTx: StoreKitTransaction = { ...tx, transactionIdentifier: '2000000555', payment: { username: 'refused-token' } };
    const { kit, finished } = fakeKit('cancel', [unknownTx, refusedTx]);
    const mem = memory();
    mem.remember('refused-token', 'ORDER000005');
    const summary = await restoreAppStorePurchases(kit, mem, async () => { throw new Error('40001'); });
    expect(summary).toEqual({ confirmed: [], failed: ['ORDER000005'], unknown: 1 });
    expect(finished).toHaveLength(0);
  });
});

describe('proofOf and requestPaymentArgs', () => {
  it('sends the id and receipt StoreKit 1 gives, and opens uni.requestPayment with the orderInfo', () => {
    expect(proofOf(tx)).toEqual({ transaction_id: '2000000123', receipt: tx.transactionReceipt });
    expect(proofOf({ transactionIdentifier: 'x y' })).toEqual({});
    expect(requestPaymentArgs('appleiap', payment)).toEqual({ provider: 'appleiap', orderInfo: payment.orderInfo });
  });
});
