/**
 * The App Store flow's uni-app side (appleiap.ts holds the flow): StoreKit through uni.requestPayment and the
 * appleiap payment channel of uni.getProvider, and the device's token -> order map in uni storage.
 */
import type { OrderMemory, StoreKitBridge, StoreKitTransaction } from './appleiap';

const MEMORY_KEY = 'vk_pay_apple_orders';

/** The device's token -> order map in uni storage (a few entries: removed once each purchase is confirmed). */
export const uniOrderMemory: OrderMemory = {
  remember(token, out_trade_no) {
    const map = (uni.getStorageSync(MEMORY_KEY) || {}) as Record<string, string>;
    map[token] = out_trade_no;
    uni.setStorageSync(MEMORY_KEY, map);
  },
  orderOf(token) {
    const map = (uni.getStorageSync(MEMORY_KEY) || {}) as Record<string, string>;
    return typeof map[token] === 'string' ? map[token] : undefined;
  },
  forget(token) {
    const map = (uni.getStorageSync(MEMORY_KEY) || {}) as Record<string, string>;
    delete map[token];
    uni.setStorageSync(MEMORY_KEY, map);
  },
};

interface IapChannel {
  id: string;
  finishTransaction(tx: StoreKitTransaction, success: () => void, fail: (e: { errMsg?: string }) => void): void;
  restoreCompletedTransactions(options: { manualFinishTransaction: boolean }, success: (txs: StoreKitTransaction[]) => void, fail: (e: { errMsg?: string }) => void): void;
}

function iapChannel(): Promise<IapChannel> {
  return new Promise((resolve, reject) => {
    uni.getProvider({
      service: 'payment',
      success: (res: { providers?: unknown[] }) => {
        const channel = (res.providers ?? []).find((c) => (c as IapChannel)?.id === 'appleiap') as IapChannel | undefined;
        if (channel) resolve(channel); else reject(new Error('this App package has no Apple in-app purchase module (appleiap)'));
      },
      fail: (e: { errMsg?: string }) => reject(new Error(e.errMsg ?? 'uni.getProvider failed')),
    } as unknown as UniApp.GetProviderOptions);
  });
}

/** uni-app's StoreKit bridge on the iOS App (DCloud: uni.requestPayment appleiap, iapChannel from uni.getProvider). */
export const uniStoreKit: StoreKitBridge = {
  purchase(orderInfo) {
    return new Promise((resolve, reject) => {
      uni.requestPayment({
        provider: 'appleiap', orderInfo,
        success: (res: unknown) => resolve(res as StoreKitTransaction),
        fail: (err: { errMsg?: string }) => (/cancel/i.test(err.errMsg ?? '') ? resolve('cancel') : reject(new Error(err.errMsg ?? 'App Store purchase failed'))),
      } as unknown as UniApp.RequestPaymentOptions);
    });
  },
  async finish(tx) {
    const channel = await iapChannel();
    await new Promise<void>((resolve, reject) => channel.finishTransaction(tx, () => resolve(), (e) => reject(new Error(e.errMsg ?? 'finishTransaction failed'))));
  },
  async restore() {
    const channel = await iapChannel();
    return new Promise((resolve, reject) => channel.restoreCompletedTransactions({ manualFinishTransaction: true }, (txs) => resolve(txs ?? []), (e) => reject(new Error(e.errMsg ?? 'restoreCompletedTransactions failed'))));
  },
};
