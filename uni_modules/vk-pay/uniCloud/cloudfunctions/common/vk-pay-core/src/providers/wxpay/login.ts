/**
 * WeChat login codes -> openid (docs/PROTOCOLS.md section 7), shared by both WeChat Pay channels: a mini-program's
 * `wx.login` code goes to `sns/jscode2session`, an official account's OAuth code to `sns/oauth2/access_token`.
 * Both are GETs to api.weixin.qq.com carrying the app's secret, answered with plain JSON (no signature: TLS is
 * the only proof) or `{errcode, errmsg}`. A code is single-use, so there is exactly one attempt.
 */
import { GatewayNetworkError, KeyConfigError, ParamError, VkPayError } from '../../../../../../../common/errors';
import { mapWechatLoginError } from '../error-map';
import { DEFAULT_TIMEOUT_MS, joinUrl } from '../shared';
import type { HttpResponse } from '../../platform/http';
import type { Channel, LoginCodeInput, PayerLogin, ProviderContext, WxpayPayType } from '../types';

export const WXAPI_DEFAULT_BASE_URL = 'https://api.weixin.qq.com/';

/** The login-related fields of a WeChat Pay config section (v3 and v2 alike). */
export interface WechatAppsConfig {
  appId: string;
  /** per pay_type appid when the mini program / official account / App differ (all bound to the one mchId) */
  appIds?: Partial<Record<WxpayPayType, string>>;
  /** the AppSecret of `appId` */
  appSecret?: string;
  /** the AppSecret per pay_type, beside `appIds` */
  appSecrets?: Partial<Record<WxpayPayType, string>>;
  /** default https://api.weixin.qq.com/; the sandbox's is `<base>/sandbox/wxapi/` */
  wxapiBaseUrl?: string;
}

const EXCHANGE_PATHS: Partial<Record<WxpayPayType, { path: string; codeParam: string }>> = {
  mp: { path: '/sns/jscode2session', codeParam: 'js_code' },
  jsapi: { path: '/sns/oauth2/access_token', codeParam: 'code' },
};

/** The appid a pay type pays through (and whose openid it needs). */
export function wechatAppIdFor(config: WechatAppsConfig, payType: string): string {
  return config.appIds?.[payType as WxpayPayType] || config.appId;
}

/** The secret of the pay type's app: its own when it has its own appid, else the main one. */
export function wechatAppSecretFor(config: WechatAppsConfig, payType: string, channel: Channel): string {
  const own = config.appIds?.[payType as WxpayPayType];
  const separate = Boolean(own) && own !== config.appId;
  const secret = config.appSecrets?.[payType as WxpayPayType] ?? (separate ? undefined : config.appSecret);
  if (!secret) throw new KeyConfigError(`${channel}.${separate ? `appSecrets.${payType}` : 'appSecret'} is required to exchange login codes`);
  return secret;
}

function parseJson(res: HttpResponse, channel: Channel): Record<string, unknown> {
  try {
    const doc = JSON.parse(res.body) as unknown;
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) return doc as Record<string, unknown>;
  } catch { /* fall through */ }
  if (res.status >= 500) throw mapWechatLoginError(channel, `HTTP_${res.status}`, '', res.status);
  throw new VkPayError(50000, `${channel} login exchange: answer is not a JSON object (HTTP ${res.status})`);
}

export async function exchangeWechatLoginCode(config: WechatAppsConfig, ctx: ProviderContext, channel: Channel, input: LoginCodeInput): Promise<PayerLogin> {
  const exchange = EXCHANGE_PATHS[input.pay_type as WxpayPayType];
  if (!exchange) throw new ParamError(`${channel} has no login code for pay_type ${input.pay_type}`);
  if (typeof input.code !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(input.code)) throw new ParamError('code must be 1-256 printable characters');
  const appId = wechatAppIdFor(config, input.pay_type);
  const secret = wechatAppSecretFor(config, input.pay_type, channel);
  const url = joinUrl(config.wxapiBaseUrl ?? WXAPI_DEFAULT_BASE_URL, exchange.path);
  url.searchParams.set('appid', appId);
  url.searchParams.set('secret', secret);
  url.searchParams.set(exchange.codeParam, input.code);
  url.searchParams.set('grant_type', 'authorization_code');
  let res: HttpResponse;
  try {
    res = await ctx.http({ method: 'GET', url: url.toString(), headers: { Accept: 'application/json' }, timeoutMs: ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  } catch (err) {
    // the URL carries the AppSecret, and a client's error text may quote the URL: only the error's code is kept
    if (err instanceof VkPayError && !(err instanceof GatewayNetworkError)) throw err;
    const code = (err as { code?: unknown; cause?: { code?: unknown } })?.cause?.code ?? (err as { code?: unknown })?.code;
    throw new GatewayNetworkError(`${channel} login exchange: network error${typeof code === 'string' ? ` ${code.slice(0, 40)}` : ''}`);
  }
  const doc = parseJson(res, channel);
  if (doc.errcode !== undefined && Number(doc.errcode) !== 0) throw mapWechatLoginError(channel, String(doc.errcode), String(doc.errmsg ?? ''), res.status);
  if (res.status !== 200) throw mapWechatLoginError(channel, `HTTP_${res.status}`, '', res.status);
  const openid = doc.openid;
  if (typeof openid !== 'string' || !/^[A-Za-z0-9_-]{6,128}$/.test(openid)) throw new VkPayError(50000, `${channel} login exchange answered without a valid openid`);
  const out: PayerLogin = { openid, app_id: appId };
  if (input.pay_type === 'mp') {
    if (typeof doc.session_key !== 'string' || doc.session_key === '') throw new VkPayError(50000, `${channel} jscode2session answered without session_key`);
    out.session_key = doc.session_key;
  }
  if (typeof doc.unionid === 'string' && doc.unionid) out.unionid = doc.unionid;
  return out;
}
