/**
 * App Store purchases on the iOS App (uni-app's StoreKit bridge, `uni.requestPayment({provider: 'appleiap'})`
 * with `manualFinishTransaction`). The order is finished at StoreKit only after the server confirmed it
 * (verifyApplePurchase): a crash or lost network between the purchase and the confirmation leaves the
 * transaction with StoreKit, which hands it back (restore) instead of losing it. Which order a transaction is
 * for is kept on the device (token -> out_trade_no) when the purchase starts, so a restore can prove it again.
 * The StoreKit side is injected, so the flow runs in tests without a phone.
 */
import type { ClientPayment } from './api-types';

export type AppleClientPayment = Extract<ClientPayment, { kind: 'appleiap' }>;

/** What uni-app's appleiap success result and restored transactions carry (StoreKit 1 names). */
export interface StoreKitTransaction {
  transactionIdentifier?: string;
  transactionReceipt?: string;
  /** "1" purchased, "3" restored (StoreKit's SKPaymentTransactionState as text) */
  transactionState?: string;
  payment?: { productid?: string; username?: string; quantity?: number };
}

/** What the device proves a purchase with; the server checks what its config can. */
export interface ApplePurchaseProof { transaction_id?: string; receipt?: string }

export interface StoreKitBridge {
  /** uni.requestPayment({provider: 'appleiap', orderInfo}); resolves 'cancel' when the person backs out */
  purchase(orderInfo: AppleClientPayment['orderInfo']): Promise<StoreKitTransaction | 'cancel'>;
  /** iapChannel.finishTransaction: StoreKit forgets the transaction */
  finish(tx: StoreKitTransaction): Promise<void>;
  /** iapChannel.restoreCompletedTransactions: what StoreKit still holds */
  restore(): Promise<StoreKitTransaction[]>;
}

export interface OrderMemory {
  remember(token: string, out_trade_no: string): void;
  orderOf(token: string): string | undefined;
  forget(token: string): void;
}

export function proofOf(tx: StoreKitTransaction): ApplePurchaseProof {
  const proof: ApplePurchaseProof = {};
  if (typeof tx.transactionIdentifier === 'string' && /^\d{1,32}$/.test(tx.transactionIdentifier)) proof.transaction_id = tx.transactionIdentifier;
  if (typeof tx.transactionReceipt === 'string' && tx.transactionReceipt.length >= 20) proof.receipt = tx.transactionReceipt;
  return proof;
}

/**
 * Buys, proves, then finishes. `verify` failing (network, server refusing) leaves the transaction unfinished and
 * rethrows: StoreKit keeps it for the next restore, and the server's notification may pay the order meanwhile.
 */
export async function buyFromAppStore(kit: StoreKitBridge, memory: OrderMemory, out_trade_no: string, payment: AppleClientPayment, verify: (proof: ApplePurchaseProof) => Promise<unknown>): Promise<'ok' | 'cancel'> {
  memory.remember(payment.orderInfo.username, out_trade_no);
  const tx = await kit.purchase(payment.orderInfo);
  if (tx === 'cancel') { memory.forget(payment.orderInfo.username); return 'cancel'; }
  await verify(proofOf(tx));
  await kit.finish(tx);
  memory.forget(payment.orderInfo.username);
  return 'ok';
}

export interface RestoreSummary { confirmed: string[]; failed: string[]; unknown: number }

/**
 * Restore: every transaction StoreKit still holds that this device started for an order is proved again and,
 * once the server confirmed it, finished. One the device knows no order for (reinstalled app) is left with
 * StoreKit: the server's notification pays its order.
 */
export async function restoreAppStorePurchases(kit: StoreKitBridge, memory: OrderMemory, verify: (out_trade_no: string, proof: ApplePurchaseProof) => Promise<unknown>): Promise<RestoreSummary> {
  const summary: RestoreSummary = { confirmed: [], failed: [], unknown: 0 };
  for (const tx of await kit.restore()) {
    if (tx.transactionState !== undefined && tx.transactionState !== '1' && tx.transactionState !== '3') continue;
    const token = tx.payment?.username;
    const out_trade_no = token ? memory.orderOf(token) : undefined;
    if (!token || !out_trade_no) { summary.unknown++; continue; }
    try {
      await verify(out_trade_no, proofOf(tx));
      await kit.finish(tx);
      memory.forget(token);
      summary.confirmed.push(out_trade_no);
    } catch {
      summary.failed.push(out_trade_no);
    }
  }
  return summary;
}
