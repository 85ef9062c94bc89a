/**
 * WeChat Pay v3 service-provider (partner) mode (docs/PROTOCOLS.md section 2, partner mode): a service provider (sp_mchid, its
 * keys, its appid sp_appid) takes payments for a sub-merchant (sub_mchid, optionally its own app sub_appid). The
 * requests are signed by the service provider; only the paths, the ids in them and the payer field differ from a
 * direct merchant's. Everything that differs lives here, so the provider itself speaks one shape:
 *
 * | call          | direct merchant                                   | partner                                                        |
 * | create        | /v3/pay/transactions/{type}, appid+mchid          | /v3/pay/partner/transactions/{type}, sp_appid+sp_mchid+sub_mchid(+sub_appid) |
 * | payer         | payer.openid                                      | payer.sub_openid (under sub_appid) or payer.sp_openid          |
 * | query         | ...out-trade-no/{no}?mchid=                       | /v3/pay/partner/...out-trade-no/{no}?sp_mchid=&sub_mchid=      |
 * | close         | ...{no}/close {mchid}                             | /v3/pay/partner/...{no}/close {sp_mchid, sub_mchid}            |
 * | refund        | /v3/refund/domestic/refunds                       | the same, with sub_mchid in the body                           |
 * | refund query  | /v3/refund/domestic/refunds/{no}                  | the same, ?sub_mchid=                                          |
 *
 * The payer of a mini program or official account of the sub-merchant's own (sub_appid configured) is named by
 * sub_openid and the client signs with sub_appid; without sub_appid the payer is the service provider's app's.
 */
import type { MerchantBinding, WxpayPayType } from '../types';
import type { WxpayConfig } from './config';
import type { WechatAppsConfig } from './login';

export interface WxpayPartnerIds {
  sp_mchid: string;
  sp_appid: string;
  sub_mchid: string;
  sub_appid?: string;
}

const DIRECT_ORDER: Record<WxpayPayType, string> = {
  jsapi: '/v3/pay/transactions/jsapi', mp: '/v3/pay/transactions/jsapi', app: '/v3/pay/transactions/app',
  h5: '/v3/pay/transactions/h5', native: '/v3/pay/transactions/native',
};

const PARTNER_ORDER: Record<WxpayPayType, string> = {
  jsapi: '/v3/pay/partner/transactions/jsapi', mp: '/v3/pay/partner/transactions/jsapi', app: '/v3/pay/partner/transactions/app',
  h5: '/v3/pay/partner/transactions/h5', native: '/v3/pay/partner/transactions/native',
};

/** The partner ids of a config, or undefined for a direct merchant (the schema made sure all or none are set). */
export function partnerOf(config: Partial<WxpayPartnerIds>): WxpayPartnerIds | undefined {
  if (!config.sp_mchid || !config.sub_mchid || !config.sp_appid) return undefined;
  return { sp_mchid: config.sp_mchid, sp_appid: config.sp_appid, sub_mchid: config.sub_mchid, sub_appid: config.sub_appid || undefined };
}

/** The app a payer of a partner merchant pays in: the sub-merchant's own when configured, else the provider's. */
export function partnerPayerAppId(p: WxpayPartnerIds): string {
  return p.sub_appid ?? p.sp_appid;
}

/**
 * The app a partner merchant's login codes are exchanged with, as login.ts reads apps: the payer's app for every pay
 * type, with its AppSecret (`sub_appsecret` for the sub-merchant's app, `appSecret` for the provider's).
 */
export function partnerLoginApps(config: WxpayConfig, p: WxpayPartnerIds): WechatAppsConfig {
  return { appId: partnerPayerAppId(p), appSecret: p.sub_appid ? config.sub_appsecret : config.appSecret, wxapiBaseUrl: config.wxapiBaseUrl };
}

/** The ids WeChat accepts in a partner merchant's messages: the sub-merchant under either app. */
export function partnerMerchants(p: WxpayPartnerIds): MerchantBinding[] {
  const apps = [p.sp_appid, ...(p.sub_appid ? [p.sub_appid] : [])];
  return apps.map((app_id) => ({ app_id, merchant_id: p.sub_mchid }));
}

export interface WxpayRoutes {
  partner: WxpayPartnerIds | undefined;
  orderPath(payType: WxpayPayType): string | undefined;
  /** the merchant and app ids of a create body, with the payer (jsapi/mp) in the field the mode names */
  orderIds(appId: string, openid: string | undefined): Record<string, unknown>;
  queryPath(outTradeNo: string): string;
  closePath(outTradeNo: string): string;
  closeBody(): Record<string, string>;
  /** merged into the refund body */
  refundIds(): Record<string, string>;
  refundQueryPath(outRefundNo: string): string;
  /** the appid a client pays with (JSAPI/mp paySign, App appid) */
  clientAppId(payType: WxpayPayType): string;
  /** the App SDK's `partnerid` */
  appPartnerId(): string;
  /** the merchant a query answer or a decrypted notification names (checked by the core's bind check) */
  merchantOf(data: Record<string, any>): MerchantBinding;
  /**
   * A partner message must come from this service provider: its sp_mchid is ours. (The sub-merchant is left to the
   * bind check, which refuses one this config does not name with an error row.) Returns why not, or undefined.
   */
  foreignProvider(data: Record<string, any>): string | undefined;
}

const enc = encodeURIComponent;

export function wxpayRoutes(config: WxpayConfig): WxpayRoutes {
  const p = partnerOf(config);
  const appIdFor = (t: WxpayPayType) => config.appIds?.[t] ?? config.appId;
  if (!p) {
    const mchid = config.mchId;
    return {
      partner: undefined,
      orderPath: (t) => DIRECT_ORDER[t],
      orderIds: (appid, openid) => ({ appid, mchid, ...(openid ? { payer: { openid } } : {}) }),
      queryPath: (no) => `/v3/pay/transactions/out-trade-no/${enc(no)}?mchid=${enc(mchid)}`,
      closePath: (no) => `/v3/pay/transactions/out-trade-no/${enc(no)}/close`,
      closeBody: () => ({ mchid }),
      refundIds: () => ({}),
      refundQueryPath: (no) => `/v3/refund/domestic/refunds/${enc(no)}`,
      clientAppId: appIdFor,
      appPartnerId: () => mchid,
      merchantOf: (d) => ({ app_id: d.appid, merchant_id: d.mchid }),
      foreignProvider: () => undefined,
    };
  }
  const ids = { sp_mchid: p.sp_mchid, sub_mchid: p.sub_mchid };
  return {
    partner: p,
    orderPath: (t) => PARTNER_ORDER[t],
    orderIds: (_appid, openid) => ({
      sp_appid: p.sp_appid, sp_mchid: p.sp_mchid, ...(p.sub_appid ? { sub_appid: p.sub_appid } : {}), sub_mchid: p.sub_mchid,
      ...(openid ? { payer: p.sub_appid ? { sub_openid: openid } : { sp_openid: openid } } : {}),
    }),
    queryPath: (no) => `/v3/pay/partner/transactions/out-trade-no/${enc(no)}?sp_mchid=${enc(p.sp_mchid)}&sub_mchid=${enc(p.sub_mchid)}`,
    closePath: (no) => `/v3/pay/partner/transactions/out-trade-no/${enc(no)}/close`,
    closeBody: () => ({ ...ids }),
    refundIds: () => ({ sub_mchid: p.sub_mchid }),
    refundQueryPath: (no) => `/v3/refund/domestic/refunds/${enc(no)}?sub_mchid=${enc(p.sub_mchid)}`,
    clientAppId: () => partnerPayerAppId(p),
    appPartnerId: () => p.sub_mchid,
    merchantOf: (d) => ({ app_id: typeof d.sub_appid === 'string' && d.sub_appid ? d.sub_appid : d.sp_appid, merchant_id: d.sub_mchid }),
    foreignProvider: (d) => (d.sp_mchid === p.sp_mchid ? undefined : `sp_mchid ${String(d.sp_mchid).slice(0, 32)} is not this service provider's`),
  };
}
