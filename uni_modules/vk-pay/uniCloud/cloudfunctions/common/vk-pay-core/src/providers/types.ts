/**
 * One interface for every payment channel (Medusa's provider shape). Each channel lives in its own folder
 * (wxpay/, wxpay-v2/, alipay/, ...) with a definition.ts the registry lists, and maps what its gateway says onto
 * the small fixed set of outcomes below. Amounts are integer fen on this side of the interface; yuan strings
 * never cross it.
 */
import type { HttpClient } from '../platform/http';
import type { AlipayPayType, ClientPayment, PayType, ProviderName, WxpayPayType } from '../../../../../../common/payment-types';

export type { AlipayPayType, ClientPayment, PayType, ProviderName, WxpayPayType };
/**
 * The channel names of the provider registry (registry.ts; each is a folder here with a definition.ts). A new
 * provider adds its name here too, so code and tests that switch over channels stay checked by the compiler.
 */
export type Channel = 'wxpay' | 'wxpay-v2' | 'alipay' | 'wxpay-virtual';

export interface CreateOrderInput {
  out_trade_no: string;
  /** integer fen */
  amount: number;
  subject: string;
  pay_type: PayType;
  notify_url: string;
  /** absolute ms epoch; sent as time_expire */
  expires_at: number;
  /** payer id for jsapi/mp (WeChat openid, Alipay buyer_id / buyer_open_id) */
  openid?: string;
  client_ip?: string;
  /** where a wap/page/h5 payment returns the person */
  return_url?: string;
  /** the provider's product id from the catalog item (channels that sell catalog products, e.g. App Store) */
  product_id?: string;
  /** the catalog item the order was priced from, with the fields providers added (channels that sell catalog items) */
  catalog_item?: Record<string, unknown>;
  /**
   * the payer's mini-program session key, for pay types that sign with it (WeChat virtual payment); read from the
   * server's own store, never from the client, and never logged or returned
   */
  session_key?: string;
}

/** What the core knows about an order beyond its number, for channels whose queries name more (the payer's openid). */
export interface QueryHint {
  openid?: string;
}

export interface CreateOrderResult {
  payment: ClientPayment;
  /** provider-side id known at creation (prepay_id, Alipay trade_no), for logs */
  provider_order_id?: string;
}

export type TradeState = 'pending' | 'paid' | 'closed' | 'not_found' | 'refunded';

export interface TradeQueryResult {
  state: TradeState;
  out_trade_no: string;
  /** integer fen, when the provider says */
  amount?: number;
  transaction_id?: string;
  /** ms epoch */
  paid_at?: number;
  merchant?: MerchantBinding;
  /** the provider's own state word (SUCCESS, TRADE_SUCCESS, ...), for logs */
  provider_state?: string;
  /**
   * Why a trade failed, in the provider's words for the payer (WeChat's trade_state_desc on PAYERROR/REVOKED),
   * kept on the closed order so the result page can say why.
   */
  provider_reason?: string;
}

export interface RefundInput {
  out_trade_no: string;
  out_refund_no: string;
  /** integer fen */
  refund_amount: number;
  /** integer fen: the order's paid amount */
  total_amount: number;
  reason?: string;
  notify_url?: string;
}

export interface RefundResult {
  /**
   * `held`: the money left the merchant but could not reach the person (WeChat v3 ABNORMAL, v2 CHANGE - e.g. a
   * closed bank card). Neither refunded nor refundable again: a person settles it in the merchant platform.
   */
  state: 'processing' | 'success' | 'failed' | 'held';
  out_refund_no: string;
  out_trade_no: string;
  refund_id?: string;
  /** integer fen */
  amount: number;
  /** ms epoch */
  success_at?: number;
  provider_state?: string;
}

/** Who a notification or answer was issued for: checked against the config before anything is written. */
export interface MerchantBinding {
  /** WeChat appid / Alipay app_id */
  app_id?: string;
  /** WeChat mchid / Alipay seller_id */
  merchant_id?: string;
}

/** A verified notification, mapped onto the fixed set of outcomes. */
export type NotificationOutcome =
  | ({ kind: 'paid'; event_id: string; out_trade_no: string; transaction_id: string; amount: number; paid_at: number } & Common)
  | ({ kind: 'refund_succeeded' | 'refund_failed' | 'refund_held'; event_id: string; out_trade_no: string; out_refund_no: string; refund_id?: string; success_at?: number } & RefundAmounts & Common)
  | ({ kind: 'closed'; event_id: string; out_trade_no: string } & Common)
  /** verified, but nothing to do (e.g. Alipay WAIT_BUYER_PAY): acknowledged without a transition */
  | ({ kind: 'ignored'; event_id: string; out_trade_no?: string; reason: string } & Common);

/**
 * What a refund notification says about money - only what the channel really states. WeChat (v3 and v2) names
 * this refund's amount; Alipay's `refund_fee` is the order's total refunded so far, so its outcome carries
 * `refunded_total` and no `amount`, and the core asks fastpay.refund.query for the refund's own amount.
 */
interface RefundAmounts {
  /** integer fen: THIS refund's amount, when the channel says it */
  amount?: number;
  /** integer fen: the order's cumulative refunded amount including this refund, when the channel says it */
  refunded_total?: number;
}

interface Common {
  channel: Channel;
  merchant: MerchantBinding;
  /** the decrypted/parsed notification, for the raw inbox (the core sanitises it before storing) */
  raw: Record<string, unknown>;
}

export interface IncomingNotification {
  /** header names lower-cased */
  headers: Record<string, string>;
  /** the raw body exactly as received */
  rawBody: string;
  /** the URL's query parameters (WeChat message pushes sign with them) */
  query?: Record<string, string>;
}

export interface NotifyReply {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface ProviderContext {
  http: HttpClient;
  /** injectable clock (ms epoch) for timestamps and the notification window */
  now?: () => number;
  /** time budget for one call including retries, ms */
  budgetMs?: number;
  /** per-attempt timeout, ms */
  timeoutMs?: number;
}

/** A login code from the payer's device (uni.login / the official account's OAuth redirect) for one pay type. */
export interface LoginCodeInput {
  pay_type: PayType;
  code: string;
}

/** Who the code says the payer is, for the app the pay type pays through. */
export interface PayerLogin {
  /** WeChat openid; Alipay open_id (or user_id 2088... for apps in user-id mode) */
  openid: string;
  /** the app the code was issued for (the openid is only meaningful under it) */
  app_id: string;
  /** WeChat mini-program session key: kept on the server only (virtual payment signs with it) */
  session_key?: string;
  unionid?: string;
}

export interface PaymentProvider {
  readonly channel: Channel;
  readonly provider: ProviderName;
  createOrder(input: CreateOrderInput): Promise<CreateOrderResult>;
  queryOrder(out_trade_no: string, hint?: QueryHint): Promise<TradeQueryResult>;
  /** Closing an order that is already closed succeeds; closing a paid one throws 40006. */
  closeOrder(out_trade_no: string, hint?: QueryHint): Promise<void>;
  refund(input: RefundInput): Promise<RefundResult>;
  queryRefund(out_refund_no: string, out_trade_no: string): Promise<RefundResult>;
  /**
   * Verifies the raw notification (signature, timestamp window) before anything else and maps it onto an
   * outcome. Throws SignatureError (40002) on anything unverifiable; never touches the database.
   */
  verifyNotification(req: IncomingNotification): Promise<NotificationOutcome>;
  /** The reply the gateway expects: success, or a reply that makes it retry. */
  notifyReply(ok: boolean): NotifyReply;
  /**
   * Exchanges a single-use login code for the payer's id under the pay type's app (channels whose pay types
   * need a payer id). One attempt only: a code is spent by the first call that reaches the provider.
   */
  exchangeLoginCode?(input: LoginCodeInput): Promise<PayerLogin>;
}
