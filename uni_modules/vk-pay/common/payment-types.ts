/**
 * The names and shapes the client and the cloud core both use for a payment: who pays (provider), how
 * (pay_type), and what the client receives to open the payment on its platform. Isomorphic and type-only, so
 * the component never imports server code.
 */
export type ProviderName = 'wxpay' | 'alipay';
export type WxpayPayType = 'jsapi' | 'mp' | 'app' | 'h5' | 'native';
export type AlipayPayType = 'mp' | 'app' | 'wap' | 'page' | 'qr';
export type PayType = WxpayPayType | AlipayPayType;

/** Exactly what the client needs to start the payment on its platform. */
export type ClientPayment =
  | { kind: 'requestPayment'; params: Record<string, string> }
  | { kind: 'order_string'; order_string: string }
  | { kind: 'trade_no'; trade_no: string }
  | { kind: 'h5_url'; h5_url: string }
  | { kind: 'code_url'; code_url: string }
  | { kind: 'page_url'; page_url: string };
