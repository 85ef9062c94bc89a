/**
 * The shapes the client exchanges with the cloud object `vk-pay-co` (docs/CONTRACTS.md section 6). `ClientPayment`
 * and the provider/pay-type names are shared with the core through `common/`, inside this package.
 */
import type { ClientPayment, PayType, ProviderName } from '../../common/payment-types';
import type { OrderStatus } from '../../common/status';

export type { ClientPayment, PayType, ProviderName, OrderStatus };

export interface CreatePaymentParams {
  provider: ProviderName;
  pay_type: PayType;
  /** order type from the config: recharge, goods, vip, custom */
  type: string;
  /** integer fen; honoured by the server only where the order type allows a client amount */
  amount?: number;
  goods_id?: string;
  subject?: string;
  openid?: string;
  out_trade_no?: string;
  /** H5 payment pages send the person back here */
  return_url?: string;
}

export interface CreatePaymentResult {
  out_trade_no: string;
  /** integer fen, as decided by the server */
  amount: number;
  /** ms epoch */
  expires_at: number;
  payment: ClientPayment;
}

export interface QueryPaymentResult {
  out_trade_no: string;
  status: OrderStatus;
  amount: number;
  paid_at?: number;
  refunded_amount: number;
}

/**
 * What `fail` carries and the modal shows: the payer's words (`msg`, `action`, and the provider's reason when a
 * payment was refused). `detail` is the developer's (the server's message, the platform's errMsg): for the app's
 * handler and the console, never shown to the payer.
 */
export interface PayFailure {
  /** a table code (common/errors.ts) when reason is 'error' */
  code?: number;
  msg: string;
  action: string;
  /** the server's own message, when it said more than the table */
  detail?: string;
  /** the provider's words on why a payment was refused (WeChat's trade_state_desc) */
  provider_reason?: string;
  /** error: a call failed · closed: closed or expired unpaid · failed: the payment was refused · timeout: not confirmed in time */
  reason: 'error' | 'closed' | 'timeout' | 'failed' | 'cancelled';
  out_trade_no?: string;
}

/** Why an order closed, as the server recorded it (getPaymentResult). */
export type CloseReason = 'cancelled' | 'failed' | 'expired' | 'provider_closed' | 'closed' | 'create_failed';

/** What the purchase did (the recharge hook's points, the goods), as getPaymentResult answers it. */
export interface PaymentEffect {
  state: 'done' | 'pending' | 'failed' | 'none';
  kind?: string;
  points?: number;
  balance?: number;
  goods_id?: string;
  name?: string;
}

/** getPaymentResult: the result page's view of an order, read from the server (owner or admin only). */
export interface PaymentResult extends QueryPaymentResult {
  expires_at: number;
  create_date: number;
  type: string;
  subject: string;
  goods_id?: string;
  provider: ProviderName;
  pay_type: PayType;
  close_reason?: CloseReason;
  provider_reason?: string;
  effect?: PaymentEffect;
}

/** An order type's amount rule, as getPayOptions answers it: the page validates against it before Pay. */
export type PayOptionType =
  | { type: string; amount: 'client'; min: number; max: number }
  | { type: string; amount: 'catalog'; catalog: Array<{ goods_id: string; amount: number; subject: string }> }
  | { type: string; amount: 'custom' };

/** Where a pay type's login code comes from: the app, and for a browser page the OAuth authorize URL. */
export interface PayerLoginHint { app_id: string; authorize_url?: string }

/** getOpenid: a login code for a pay type -> the payer's openid, kept on the server. */
export interface GetOpenidParams { provider: ProviderName; pay_type: PayType; code: string }

/** getPayOptions: the providers with their pay types, the order types with their limits. */
export interface PayOptions {
  env: string;
  /**
   * The configured providers: `pay_types` in the server's order, and `platforms`: for each pay type, the uni-app
   * platforms it opens on (web, mp-weixin, mp-alipay, app, app-ios, app-android).
   */
  providers: Array<{
    provider: ProviderName; channel: string; pay_types: PayType[]; platforms?: Record<PayType, string[]>;
    /** pay types that pay as a known payer: the app whose login code getOpenid takes, and a browser's OAuth page */
    login?: Partial<Record<PayType, PayerLoginHint>>;
  }>;
  types: PayOptionType[];
  /** integer fen */
  maxAmount: number;
  ttlMs: number;
}
