/**
 * The names and shapes the client and the cloud core both use for a payment: who pays (provider), how
 * (pay_type), and what the client receives to open the payment on its platform. Isomorphic and type-only, so
 * the component never imports server code.
 */
/**
 * A provider name the server serves (`wxpay`, `alipay`, ...): getPayOptions lists the configured ones, so the
 * client learns them from the server rather than from a list of its own.
 */
export type ProviderName = string;
export type WxpayPayType = 'jsapi' | 'mp' | 'app' | 'h5' | 'native';
export type AlipayPayType = 'mp' | 'app' | 'wap' | 'page' | 'qr' | 'codepay';
/** A pay type of a provider (getPayOptions lists each provider's). */
export type PayType = string;

/** Exactly what the client needs to start the payment on its platform. */
export type ClientPayment =
  | { kind: 'requestPayment'; params: Record<string, string> }
  | { kind: 'order_string'; order_string: string }
  | { kind: 'trade_no'; trade_no: string }
  | { kind: 'h5_url'; h5_url: string }
  | { kind: 'code_url'; code_url: string }
  | { kind: 'page_url'; page_url: string }
  /**
   * App Store in-app purchase: the orderInfo of `uni.requestPayment({provider: 'appleiap', orderInfo})`;
   * `username` is the order's token (a UUID), returned by Apple as appAccountToken.
   */
  | { kind: 'appleiap'; orderInfo: { productid: string; quantity: number; username: string; manualFinishTransaction: boolean } }
  /**
   * A payment code scanned at a counter (pay_type `codepay`): nothing for the payer's device to open; `paid`
   * once the provider took the money, `paying` while the payer still confirms (e.g. enters a password).
   */
  | { kind: 'codepay'; state: 'paid' | 'paying' }
  /** WeChat mini-program virtual payment: the arguments of `uni.requestVirtualPayment`, all decided and signed by the server */
  | { kind: 'virtualPayment'; mode: 'short_series_goods' | 'short_series_coin'; signData: string; paySig: string; signature: string };
