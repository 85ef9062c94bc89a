/**
 * One interface for every payment channel (Medusa's provider shape). Each channel lives in its own folder
 * (wxpay/, wxpay-v2/, alipay/, ...) with a definition.ts the registry lists, and maps what its gateway says onto
 * the small fixed set of outcomes below. Amounts are integer fen on this side of the interface; yuan strings
 * never cross it.
 */
import type { HttpClient } from '../platform/http';
import type { StatementAnswer } from '../statements/types';
import type { AlipayPayType, ClientPayment, PayType, ProviderName, WxpayPayType } from '../../../../../../common/payment-types';

export type { AlipayPayType, ClientPayment, PayType, ProviderName, WxpayPayType };
/**
 * The channel names of the provider registry (registry.ts; each is a folder here with a definition.ts). A new
 * provider adds its name here too, so code and tests that switch over channels stay checked by the compiler.
 */
export type Channel = 'wxpay' | 'wxpay-v2' | 'alipay' | 'appleiap' | 'wxpay-virtual';

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
  /** the payer's payment code, scanned at a counter (scanned pay types, e.g. `codepay`) */
  auth_code?: string;
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
  /** the payer's id the order was paid with, for channels whose refund names the payer (WeChat virtual payment) */
  openid?: string;
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
  | ({
    kind: 'paid'; event_id: string; out_trade_no: string; transaction_id: string; paid_at: number;
    /** integer fen; absent only for channels bound by product (definition.orderBinding), which state no amount in fen */
    amount?: number;
    /** the provider's product id, for channels bound by product */
    product_id?: string;
  } & Common)
  /**
   * A subscription the provider renewed by itself (App Store DID_RENEW): a new paid period, recorded as a new
   * order of the subscription's first order (out_trade_no), paid by this transaction, with its own onPaid.
   */
  | ({ kind: 'renewed'; event_id: string; out_trade_no: string; transaction_id: string; paid_at: number; product_id?: string; expires_at?: number } & Common)
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
  /** the provider refunded the whole payment and states no amount in fen (App Store): the order's paid amount */
  whole_payment?: boolean;
  /** integer fen: the order's cumulative refunded amount including this refund, when the channel says it */
  refunded_total?: number;
}

interface Common {
  channel: Channel;
  /**
   * For providers that do not know our order number (the App Store): `out_trade_no` is '' and the order is found
   * by what the provider does know - its payment id (an order it paid) or the id the order got at creation
   * (`provider_order_id`, e.g. the App Store purchase token).
   */
  order_ref?: { transaction_id?: string; provider_order_id?: string };
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

/** What a client brings to prove a purchase it made on the device (App Store): one of the three proofs. */
export interface PurchaseProof {
  out_trade_no: string;
  /** the provider's product id the order took from its catalog item */
  product_id: string;
  /** the JWS the device got (StoreKit 2 `jwsRepresentation`) */
  signed_transaction?: string;
  /** the provider's transaction id, looked up with the provider */
  transaction_id?: string;
  /** the legacy app receipt (base64) */
  receipt?: string;
}

/** A verified purchase that pays the order it was proven for. */
export interface VerifiedPurchase {
  transaction_id: string;
  /** the first purchase of a subscription or non-consumable (equal to transaction_id for a first purchase) */
  original_transaction_id: string;
  product_id: string;
  /** e.g. Consumable, Non-Consumable, Auto-Renewable Subscription */
  product_type: string;
  /** ms epoch */
  paid_at: number;
  /** ms epoch: the end of the period a subscription purchase pays for */
  expires_at?: number;
  environment: string;
  merchant: MerchantBinding;
}

/** Who receives a payout: WeChat's openid under an app, or an Alipay account (docs/PROTOCOLS.md section 10). */
export interface TransferPayee {
  /** `openid` (WeChat), or Alipay's `ALIPAY_USER_ID` | `ALIPAY_OPEN_ID` | `ALIPAY_LOGON_ID` */
  identity_type: string;
  identity: string;
  /** the payee's real name: WeChat needs it from 2,000 yuan (sent encrypted), Alipay checks it for a logon id */
  name?: string;
}

export interface TransferInput {
  /** the merchant's number: the idempotency key at the gateway, reused unchanged on every retry */
  out_bill_no: string;
  /** integer fen */
  amount: number;
  payee: TransferPayee;
  /** shown to the payee (WeChat: at most 32 characters) */
  remark: string;
  notify_url?: string;
  /** WeChat's transfer scene and its report infos (ignored by channels without scenes) */
  scene_id?: string;
  scene_report_infos?: Array<{ info_type: string; info_content: string }>;
  /** the title on the payee's statement (Alipay's order_title) */
  title?: string;
}

/** What the gateway says about a payout, mapped onto the transfer status table (state/transfer-status.ts). */
export interface TransferResult {
  state: 'accepted' | 'waiting_user' | 'succeeded' | 'failed' | 'cancelled' | 'not_found';
  out_bill_no: string;
  /** the gateway's own number (WeChat transfer_bill_no, Alipay order_id) */
  transfer_bill_no?: string;
  /** integer fen, when the gateway says */
  amount?: number;
  /** what the client needs to ask the payee's confirmation (WeChat: {mchId, appId, package}), while waiting */
  confirm?: Record<string, string>;
  fail_reason?: string;
  /** ms epoch */
  success_at?: number;
  provider_state?: string;
}

/** A verified transfer notification (WeChat MCHTRANSFER.BILL.FINISHED), mapped onto the transfer outcomes. */
export interface TransferNotification {
  /** the notification id, kept by the gateway across redeliveries */
  event_id: string;
  result: TransferResult;
  merchant: MerchantBinding;
  raw: Record<string, unknown>;
}

export interface PaymentProvider {
  readonly channel: Channel;
  readonly provider: ProviderName;
  createOrder(input: CreateOrderInput): Promise<CreateOrderResult>;
  queryOrder(out_trade_no: string, hint?: QueryHint): Promise<TradeQueryResult>;
  /** Closing an order that is already closed succeeds; closing a paid one throws 40006. */
  closeOrder(out_trade_no: string, hint?: QueryHint): Promise<void>;
  refund(input: RefundInput): Promise<RefundResult>;
  /** `hint`: what the order knows beyond its number, for channels whose refund queries name the payer */
  queryRefund(out_refund_no: string, out_trade_no: string, hint?: QueryHint): Promise<RefundResult>;
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
  /**
   * The day's trade statement (date `YYYY-MM-DD`, the provider's day, UTC+8): downloaded, verified (hash where
   * the provider gives one) and parsed (statements/). Channels without daily statements leave it out.
   */
  downloadStatement?(date: string): Promise<StatementAnswer>;
  /**
   * Providers whose payments the client proves (App Store): verifies the proof for the order (signature, app,
   * product, the order's token) before anything is written; 40002 for what does not verify, 40001 for a genuine
   * purchase of something else.
   */
  verifyPurchase?(proof: PurchaseProof): Promise<VerifiedPurchase>;
  /**
   * Reverses a scanned-code payment that was not completed in time (Alipay alipay.trade.cancel, WeChat reverse):
   * an unpaid one is closed, one paid in the meantime is refunded, so money is never left taken without an order.
   */
  reverseOrder?(out_trade_no: string): Promise<void>;
  /**
   * Payouts (optional: a channel without them leaves these out). `transfer` with an out_bill_no the gateway
   * already knows answers about that same payout, never a second one; `queryTransfer` answers `not_found` for a
   * number the gateway never received (only from a verified answer); `cancelTransfer` works until the payee confirmed.
   */
  transfer?(input: TransferInput): Promise<TransferResult>;
  queryTransfer?(out_bill_no: string): Promise<TransferResult>;
  cancelTransfer?(out_bill_no: string): Promise<TransferResult>;
  /** Verifies a transfer notification on its raw body before anything else (SignatureError, 40002, otherwise). */
  verifyTransferNotification?(req: IncomingNotification): Promise<TransferNotification>;
  /**
   * In-app coins the payer bought (WeChat virtual payment's coin mode, optional): the balance, and spending or
   * giving back coins for a merchant's order, each signed with the payer's session key. A repeated coin pay with
   * the same order_id answers `repeated: true` (the coins were taken once).
   */
  coinBalance?(input: CoinUser): Promise<CoinBalance>;
  payWithCoins?(input: CoinPayInput): Promise<CoinPayResult>;
  cancelCoinPay?(input: CoinCancelInput): Promise<{ order_id: string }>;
}

/** Who a coin call acts for: the payer's openid, the session key of their latest login, and their IP. */
export interface CoinUser { openid: string; session_key: string; user_ip: string }

export interface CoinBalance {
  /** coins held, bought and presented together */
  balance: number;
  /** of which presented (free) coins */
  present_balance: number;
  /** coins bought, presented, added and spent over the account's life */
  sum_save: number;
  sum_present: number;
  sum_balance: number;
  sum_cost: number;
  first_save_flag: boolean;
}

export interface CoinPayInput extends CoinUser {
  /** the merchant's number for this spending: the same number is never charged twice */
  order_id: string;
  /** coins, not fen */
  amount: number;
  /** what was bought, recorded on the user's coin statement: JSON `[{productid, unit_price, quantity}]` */
  payitem: string;
  remark: string;
}

export interface CoinPayResult {
  order_id: string;
  /** coins left after this pay (absent when WeChat answered that the pay was done before) */
  balance?: number;
  used_present_amount?: number;
  repeated: boolean;
}

export interface CoinCancelInput extends CoinUser {
  /** the order_id of the coin pay being undone */
  pay_order_id: string;
  /** the merchant's number for this give-back */
  order_id: string;
  amount: number;
}
