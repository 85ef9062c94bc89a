/**
 * The sandbox gateway's own books: orders, refunds and notifications still being delivered. Kept in memory
 * and, unless `persist` is off, mirrored to `${home}/sandbox/state.json` after every change (temp file +
 * rename, one write at a time), so a restarted local host still knows its orders and resumes delivering
 * pending notifications. A test gateway needs robustness, not throughput: one small JSON file is enough.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AppleBooks } from './appleiap/books';
import type { SandboxAuthCode } from './auth-codes';
import type { FaultSettings } from './faults';

/** The gateways that keep merchant orders (the ledger): the merchant creates an order there before anyone pays. */
export type SandboxChannel = 'wxpay' | 'wxpay-v2' | 'alipay' | 'wxpay-virtual';
export const SANDBOX_CHANNELS: readonly SandboxChannel[] = ['wxpay', 'wxpay-v2', 'alipay', 'wxpay-virtual'];
/** Every channel that sends notifications: the ledger's, and the App Store (which keeps transactions, not orders). */
export type NotifyChannel = SandboxChannel | 'appleiap';
export const NOTIFY_CHANNELS: readonly NotifyChannel[] = [...SANDBOX_CHANNELS, 'appleiap'];

export function isSandboxChannel(v: unknown): v is SandboxChannel {
  return typeof v === 'string' && (SANDBOX_CHANNELS as readonly string[]).includes(v);
}

export function isNotifyChannel(v: unknown): v is NotifyChannel {
  return typeof v === 'string' && (NOTIFY_CHANNELS as readonly string[]).includes(v);
}

/** One status vocabulary for the three gateways; each maps it onto its own words when answering. */
export type OrderStatus = 'NOTPAY' | 'SUCCESS' | 'CLOSED';

export interface SandboxOrder {
  channel: SandboxChannel;
  out_trade_no: string;
  /** WeChat transaction_id / Alipay trade_no, assigned at creation (Alipay shows it before payment) */
  transaction_id: string;
  app_id: string;
  merchant_id: string;
  /**
   * WeChat partner orders: the sub-merchant the service provider (merchant_id, app_id = sp_appid) took it for, the
   * sub-merchant's app when the order named one, and which payer field named the payer (sub_openid under sub_appid)
   */
  sub_merchant_id?: string;
  sub_app_id?: string;
  payer_field?: 'sp_openid' | 'sub_openid';
  /** Alipay third-party app orders: the authorising merchant's app (app_id is then the third-party app's) */
  auth_app_id?: string;
  /** integer fen */
  amount: number;
  subject: string;
  attach?: string;
  /** WeChat trade_type (JSAPI, APP, MWEB, NATIVE) or the Alipay method's product (create, app, wap, page, precreate) */
  pay_type: string;
  notify_url?: string;
  return_url?: string;
  /** Alipay wap: where a person who leaves the cashier without paying is sent (no trade facts on it) */
  quit_url?: string;
  payer_id?: string;
  /** WeChat v2: MD5 or HMAC-SHA256, used again to sign this order's notifications */
  sign_type?: string;
  prepay_id?: string;
  /** what a repeated create must match (same out_trade_no, other content => OUT_TRADE_NO_USED / CONTEXT_INCONSISTENT) */
  fingerprint: string;
  status: OrderStatus;
  /** integer fen refunded so far (successful + processing) */
  refunded: number;
  created_at: number;
  expires_at?: number;
  paid_at?: number;
  closed_at?: number;
  cancelled_at?: number;
  /**
   * WeChat only: the payment was attempted and refused (the bank declined it). The order reads as closed
   * (trade_state PAYERROR) with this as its trade_state_desc; a person must pay again with a new order.
   */
  failed_reason?: string;
  /** WeChat virtual payment: what the device's requestVirtualPayment bought, in which environment */
  virtual?: { mode: 'short_series_goods' | 'short_series_coin'; env: 0 | 1; quantity: number; product_id?: string; unit_price: number };
}

/** WeChat's refund states; Alipay refunds are SUCCESS at once. */
export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

export interface SandboxRefund {
  channel: SandboxChannel;
  out_refund_no: string;
  out_trade_no: string;
  refund_id: string;
  /** integer fen */
  amount: number;
  /** integer fen: the order total the merchant stated */
  total: number;
  status: RefundStatus;
  /** how a PROCESSING refund will settle (the `refund` fault in force when it was accepted) */
  settle_as?: 'SUCCESS' | 'ABNORMAL' | 'CLOSED';
  reason?: string;
  notify_url?: string;
  created_at: number;
  success_at?: number;
}

/**
 * A payout the gateway received (WeChat transfer bill / Alipay fund transfer), in WeChat's state words; Alipay
 * answers SUCCESS at once. `paid` is set once when the money reaches the payee: the payouts the sandbox made.
 */
export interface SandboxTransfer {
  channel: 'wxpay' | 'alipay';
  out_bill_no: string;
  transfer_bill_no: string;
  app_id: string;
  merchant_id: string;
  /** integer fen */
  amount: number;
  payee_type: string;
  payee: string;
  /** the real name as decrypted by the gateway (WeChat sends it RSA-OAEP encrypted) */
  payee_name?: string;
  remark: string;
  scene_id?: string;
  state: 'ACCEPTED' | 'WAIT_USER_CONFIRM' | 'SUCCESS' | 'FAIL' | 'CANCELLED';
  package_info?: string;
  fail_reason?: string;
  notify_url?: string;
  /** what a repeated request must match (same out_bill_no, other content => refused) */
  fingerprint: string;
  paid: boolean;
  created_at: number;
  updated_at: number;
}

export interface DeliveryAttempt {
  at: number;
  /** HTTP status, or 0 when nothing answered */
  status: number;
  accepted: boolean;
  /** why it failed, or which fault shaped it */
  note?: string;
}

export interface SandboxNotification {
  id: string;
  channel: NotifyChannel;
  /** close: Alipay's TRADE_CLOSED for app and wap trades closed unpaid; transfer: a payout reached a final state */
  kind: 'payment' | 'refund' | 'close' | 'transfer';
  /** the order's key, or for a transfer the transfer's key */
  order_key: string;
  refund_key?: string;
  url: string;
  /** stable across resends, like the real gateways' notification id / notify_id */
  event_id: string;
  created_at: number;
  /** the faults in force when the notification was raised; later changes do not touch it */
  faults: FaultSettings;
  attempts: DeliveryAttempt[];
  next_at: number;
  state: 'pending' | 'delivered' | 'failed';
}

export interface SandboxStateData {
  version: 1;
  orders: Record<string, SandboxOrder>;
  refunds: Record<string, SandboxRefund>;
  notifications: Record<string, SandboxNotification>;
  faults: Partial<Record<NotifyChannel, FaultSettings>>;
  /** the App Store's books (appleiap/books.ts): it keeps transactions, not merchant orders */
  appleiap?: AppleBooks;
  /** payouts by `${channel}:${out_bill_no}` */
  transfers: Record<string, SandboxTransfer>;
  /** payment codes shown to payers (auth-codes.ts) */
  authCodes: Record<string, SandboxAuthCode>;
  /** WeChat virtual payment coin accounts by `${env}:${openid}` and coin pays by `${env}:${order_id}` (wxpay-virtual-coins.ts) */
  coins?: Record<string, SandboxCoinAccount>;
  coinPays?: Record<string, SandboxCoinPay>;
}

/** A payer's coins in one environment of the mini program: bought with coin-mode payments, spent by currency_pay. */
export interface SandboxCoinAccount { balance: number; sum_save: number; sum_cost: number }

/** One currency_pay (and what cancel_currency_pay gave back of it). */
export interface SandboxCoinPay { openid: string; env: 0 | 1; order_id: string; amount: number; payitem: string; cancelled: number; created_at: number }

export function orderKey(channel: SandboxChannel, outTradeNo: string): string {
  return `${channel}:${outTradeNo}`;
}

/** WeChat refund numbers are unique per merchant; Alipay's out_request_no only within its trade. */
export function refundKey(channel: SandboxChannel, outTradeNo: string, outRefundNo: string): string {
  return channel === 'alipay' ? `alipay:${outTradeNo}:${outRefundNo}` : `${channel}:${outRefundNo}`;
}

function emptyState(): SandboxStateData {
  return { version: 1, orders: {}, refunds: {}, notifications: {}, faults: {}, transfers: {}, authCodes: {} };
}

export class SandboxState {
  data: SandboxStateData = emptyState();
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  /** `file` undefined keeps everything in memory (lost on restart). */
  private constructor(private readonly file: string | undefined) {}

  static async open(file: string | undefined): Promise<SandboxState> {
    const state = new SandboxState(file);
    if (file) {
      try {
        const parsed = JSON.parse(await fs.readFile(file, 'utf8')) as SandboxStateData;
        if (parsed && parsed.version === 1 && parsed.orders && parsed.refunds && parsed.notifications) {
          state.data = { ...emptyState(), ...parsed };
        }
      } catch (err) {
        // A missing or unreadable file starts a fresh gateway; a test gateway must always come up.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
      }
    }
    return state;
  }

  reset(): void {
    this.data = emptyState();
  }

  /**
   * Persists the current state. Writes are serialised and coalesced: callers that arrive while a write is in
   * flight share the next one, which always carries the latest state.
   */
  save(): Promise<void> {
    if (!this.file) return Promise.resolve();
    const file = this.file;
    this.dirty = true;
    const run = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      await fs.mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, JSON.stringify(this.data));
      await fs.rename(tmp, file);
    });
    // A failed write must not wedge the chain: the next save tries again with the latest state.
    this.writing = run.catch(() => { this.dirty = true; });
    return run;
  }
}
