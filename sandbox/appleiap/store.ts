/**
 * The sandbox App Store as a device and Apple's back office see it: purchases made on the device (with the
 * token the order's orderInfo carries), renewals, refunds Apple grants, subscriptions that expire - each kept in
 * the books and each raising the Server Notification Apple would send.
 */
import { ParamError } from '../../uni_modules/vk-pay/common/errors';
import { appAccountTokenFor } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/appleiap/transaction';
import type { SandboxState } from '../state';
import {
  emptyAppleBooks, newNotificationUUID, purchase, PRODUCT_TYPES, renew, revoke, signTransaction, SUBSCRIPTION,
  type AppleBooks, type AppleTransactionRecord, type ProductType,
} from './books';
import type { AppleSandboxCredentials } from './credentials';
import { purchaseNotificationType } from './notify';

export interface ApplePurchaseInput {
  out_trade_no: string;
  product_id: string;
  /** default Consumable */
  type?: ProductType;
  /** default: the token of the order's orderInfo (what the component passes as applicationUsername) */
  app_account_token?: string;
  /** subscriptions: the period length in ms (default 30 days) */
  period_ms?: number;
}

/** What the device holds after a purchase: what it sends to verifyApplePurchase. */
export interface ApplePurchaseResult { transaction_id: string; original_transaction_id: string; signed_transaction: string; receipt: string }

export class AppleStore {
  constructor(
    private readonly state: SandboxState,
    readonly creds: AppleSandboxCredentials,
    private readonly now: () => number,
    /** raises a Server Notification (the notifier delivers it, with the channel's faults) */
    private readonly raise: (rec: { notificationUUID: string; notificationType: string; subtype?: string; transactionId: string }) => void,
  ) {}

  get books(): AppleBooks {
    this.state.data.appleiap ??= emptyAppleBooks();
    return this.state.data.appleiap;
  }

  private notify(tx: AppleTransactionRecord, notificationType: string, subtype?: string): void {
    const rec = { notificationUUID: newNotificationUUID(), notificationType, subtype, transactionId: tx.transactionId, signedDate: this.now() };
    this.books.notifications[rec.notificationUUID] = rec;
    this.raise(rec);
  }

  private result(tx: AppleTransactionRecord, receipt: string): ApplePurchaseResult {
    return { transaction_id: tx.transactionId, original_transaction_id: tx.originalTransactionId, signed_transaction: signTransaction(tx, this.creds.bundleId, this.creds.pki, this.now()), receipt };
  }

  purchase(input: ApplePurchaseInput): ApplePurchaseResult {
    if (typeof input.out_trade_no !== 'string' || input.out_trade_no === '') throw new ParamError('out_trade_no is required');
    const type = input.type ?? 'Consumable';
    if (!PRODUCT_TYPES.includes(type)) throw new ParamError(`type must be one of ${PRODUCT_TYPES.join(', ')}`);
    const { tx, receipt } = purchase(this.books, {
      product_id: input.product_id, type, app_account_token: input.app_account_token ?? appAccountTokenFor(input.out_trade_no),
      out_trade_no: input.out_trade_no, period_ms: input.period_ms,
    }, this.now());
    const n = purchaseNotificationType(type);
    this.notify(tx, n.type, n.subtype);
    void this.state.save();
    return this.result(tx, receipt);
  }

  /** The subscription renews: a new transaction for the next period, DID_RENEW. */
  renew(originalTransactionId: string): ApplePurchaseResult {
    const tx = renew(this.books, originalTransactionId, this.now());
    this.notify(tx, 'DID_RENEW');
    void this.state.save();
    return this.result(tx, '');
  }

  /** Apple grants the customer a refund: the transaction is revoked, REFUND. */
  refund(transactionId: string): ApplePurchaseResult {
    const tx = revoke(this.books, transactionId, this.now());
    this.notify(tx, 'REFUND');
    void this.state.save();
    return this.result(tx, '');
  }

  /** The subscription ends without renewing: EXPIRED (VOLUNTARY) for its latest period. */
  expire(originalTransactionId: string): ApplePurchaseResult {
    const periods = Object.values(this.books.transactions).filter((t) => t.originalTransactionId === originalTransactionId && t.type === SUBSCRIPTION).sort((a, b) => a.purchaseDate - b.purchaseDate);
    const last = periods.at(-1);
    if (!last) throw new ParamError('original_transaction_id is not a subscription this sandbox sold');
    this.notify(last, 'EXPIRED', 'VOLUNTARY');
    void this.state.save();
    return this.result(last, '');
  }
}
