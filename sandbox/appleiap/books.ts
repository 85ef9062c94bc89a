/**
 * The sandbox App Store's books: every purchase a device made (transactions, as Apple keeps them), the app
 * receipts it handed out, and the notification payloads raised. Kept in the sandbox state (state.json) beside
 * the other gateways' books. All purchases are in Apple's `Sandbox` environment, as a sandbox account's are.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ParamError } from '../../uni_modules/vk-pay/common/errors';
import { signAppleJws, type ApplePki } from './pki';

export const SUBSCRIPTION = 'Auto-Renewable Subscription';
export const PRODUCT_TYPES = ['Consumable', 'Non-Consumable', 'Non-Renewing Subscription', SUBSCRIPTION] as const;
export type ProductType = typeof PRODUCT_TYPES[number];

export interface AppleTransactionRecord {
  transactionId: string;
  originalTransactionId: string;
  webOrderLineItemId?: string;
  productId: string;
  type: ProductType;
  purchaseDate: number;
  expiresDate?: number;
  /** the subscription period, for renewals */
  periodMs?: number;
  appAccountToken?: string;
  revocationDate?: number;
  revocationReason?: number;
  /** the merchant order the purchase was made for (display only: Apple never sees it) */
  out_trade_no?: string;
}

export interface AppleNotificationRecord {
  notificationUUID: string;
  notificationType: string;
  subtype?: string;
  transactionId: string;
  signedDate: number;
}

export interface AppleBooks {
  seq: number;
  transactions: Record<string, AppleTransactionRecord>;
  /** receipt-data -> the transaction ids the receipt held when it was handed out */
  receipts: Record<string, string[]>;
  notifications: Record<string, AppleNotificationRecord>;
}

export const emptyAppleBooks = (): AppleBooks => ({ seq: 0, transactions: {}, receipts: {}, notifications: {} });

export function nextTransactionId(books: AppleBooks, now: number): string {
  books.seq += 1;
  // Apple's ids are decimal strings; time-based so a reset sandbox does not hand out an id again
  return `2${String(now).slice(-10)}${String(books.seq).padStart(4, '0')}`;
}

/** JWSTransactionDecodedPayload of a record, as Apple signs it. */
export function transactionPayload(t: AppleTransactionRecord, bundleId: string, now: number): Record<string, unknown> {
  const p: Record<string, unknown> = {
    transactionId: t.transactionId, originalTransactionId: t.originalTransactionId, bundleId, productId: t.productId, type: t.type,
    quantity: 1, purchaseDate: t.purchaseDate, originalPurchaseDate: t.purchaseDate, signedDate: now, environment: 'Sandbox',
    inAppOwnershipType: 'PURCHASED', storefront: 'CHN', storefrontId: '143465', transactionReason: t.originalTransactionId === t.transactionId ? 'PURCHASE' : 'RENEWAL',
  };
  if (t.appAccountToken) p.appAccountToken = t.appAccountToken;
  if (t.webOrderLineItemId) p.webOrderLineItemId = t.webOrderLineItemId;
  if (t.expiresDate !== undefined) p.expiresDate = t.expiresDate;
  if (t.revocationDate !== undefined) { p.revocationDate = t.revocationDate; p.revocationReason = t.revocationReason ?? 0; }
  return p;
}

export function signTransaction(t: AppleTransactionRecord, bundleId: string, pki: ApplePki, now: number): string {
  return signAppleJws(transactionPayload(t, bundleId, now), pki);
}

/** The legacy receipt's in_app entry of a record (strings of digits, as /verifyReceipt answers). */
export function receiptEntry(t: AppleTransactionRecord): Record<string, unknown> {
  const e: Record<string, unknown> = {
    quantity: '1', product_id: t.productId, transaction_id: t.transactionId, original_transaction_id: t.originalTransactionId,
    purchase_date_ms: String(t.purchaseDate), original_purchase_date_ms: String(t.purchaseDate), in_app_ownership_type: 'PURCHASED',
  };
  if (t.appAccountToken) e.app_account_token = t.appAccountToken;
  if (t.expiresDate !== undefined) e.expires_date_ms = String(t.expiresDate);
  if (t.webOrderLineItemId) e.web_order_line_item_id = t.webOrderLineItemId;
  if (t.revocationDate !== undefined) { e.cancellation_date_ms = String(t.revocationDate); e.cancellation_reason = String(t.revocationReason ?? 0); }
  return e;
}

/** A purchase on the device: the transaction, and the app receipt the device holds afterwards. */
export function purchase(books: AppleBooks, input: { product_id: string; type: ProductType; app_account_token?: string; out_trade_no?: string; period_ms?: number }, now: number): { tx: AppleTransactionRecord; receipt: string } {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(input.product_id)) throw new ParamError('product_id: 1-100 of [A-Za-z0-9._-]');
  if (input.app_account_token !== undefined && !/^[0-9a-fA-F-]{36}$/.test(input.app_account_token)) throw new ParamError('app_account_token must be a UUID');
  const id = nextTransactionId(books, now);
  const tx: AppleTransactionRecord = { transactionId: id, originalTransactionId: id, productId: input.product_id, type: input.type, purchaseDate: now, appAccountToken: input.app_account_token, out_trade_no: input.out_trade_no };
  if (input.type === SUBSCRIPTION) {
    tx.periodMs = input.period_ms ?? 30 * 24 * 3600 * 1000;
    tx.expiresDate = now + tx.periodMs;
    tx.webOrderLineItemId = nextTransactionId(books, now);
  }
  books.transactions[id] = tx;
  return { tx, receipt: receiptFor(books) };
}

/** The receipt a device holds now: every purchase of this (single) sandbox device so far. */
export function receiptFor(books: AppleBooks): string {
  const receipt = Buffer.concat([Buffer.from('vk-pay sandbox app receipt '), randomBytes(24)]).toString('base64');
  books.receipts[receipt] = Object.keys(books.transactions);
  return receipt;
}

/** The next period of a subscription: a new transaction under the same original id (DID_RENEW). */
export function renew(books: AppleBooks, originalTransactionId: string, now: number): AppleTransactionRecord {
  const periods = Object.values(books.transactions).filter((t) => t.originalTransactionId === originalTransactionId).sort((a, b) => a.purchaseDate - b.purchaseDate);
  const last = periods.at(-1);
  if (!last || last.type !== SUBSCRIPTION) throw new ParamError('original_transaction_id is not a subscription this sandbox sold');
  const id = nextTransactionId(books, now);
  const start = Math.max(now, last.expiresDate ?? now);
  const tx: AppleTransactionRecord = {
    ...last, transactionId: id, webOrderLineItemId: nextTransactionId(books, now), purchaseDate: start, expiresDate: start + (last.periodMs ?? 0),
    revocationDate: undefined, revocationReason: undefined,
  };
  books.transactions[id] = tx;
  return tx;
}

/** Apple refunds a purchase the customer asked it to refund (REFUND notification). */
export function revoke(books: AppleBooks, transactionId: string, now: number, reason = 0): AppleTransactionRecord {
  const tx = books.transactions[transactionId];
  if (!tx) throw new ParamError('no such transaction_id');
  if (tx.revocationDate !== undefined) throw new ParamError('already refunded');
  tx.revocationDate = now;
  tx.revocationReason = reason;
  return tx;
}

export const newNotificationUUID = (): string => randomUUID();
