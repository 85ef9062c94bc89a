/**
 * One call of a virtual payment server API: `POST <base>/xpay/<name>?access_token=..&pay_sig=..` with the body
 * serialised once and pay_sig over exactly those bytes (docs/PROTOCOLS.md section 12); the APIs that act for a
 * user (coin balance, coin pay) also carry `signature` = HMAC(session_key, body). Network failures and "system
 * busy" are retried within the context's budget; a refused access_token is dropped and the call made once more
 * with a fresh one. Answers `{errcode, errmsg, ...}`; errcode 0 is returned, anything else thrown mapped.
 */
import { VkPayError } from '../../../../../../../common/errors';
import { ProviderError, mapNetworkError } from '../error-map';
import { joinUrl, retrying } from '../shared';
import type { HttpResponse } from '../../platform/http';
import type { ProviderContext } from '../types';
import { appKeyFor, type WxpayVirtualConfig, WXAPI_BASE_URL } from './config';
import { serverPaySig, userSignatureOf } from './signing';
import { TOKEN_REJECTED_CODES, accessTokenFor, dropAccessToken } from './token';

/**
 * errcodes of the xpay APIs (docs/PROTOCOLS.md section 12, WeChat's table) onto ours; unknown ones are parameter
 * errors. 268490004 (the operation was done before) is read by the callers that can repeat one (coin pay).
 */
const XPAY_CODES: Record<string, 40001 | 40002 | 40003 | 40005 | 40007 | 40008 | 40009 | 40010> = {
  '-1': 40010, '45009': 40008, '45011': 40008,
  '40001': 40003, '42001': 40003, '40014': 40003,
  '90010': 40002, '90011': 40002,
  '268490001': 40001, '268490002': 40001, '268490003': 40002, '268490004': 40001, '268490005': 40001,
  // coins: not enough coins; the coin is not published in the console; the user's session key is gone
  '268490006': 40007, '268490008': 40003, '268490009': 40009,
  // refunds: forbidden on a written-off order; one in progress (retry with the same parameters); rate limited
  '268490013': 40001, '268490014': 40010, '268490015': 40008,
  // left_fee is not what WeChat holds: the refund was not started (a definite refusal, nothing to wait for)
  '268490016': 40001,
};
/** "Repeated operation": the earlier call with the same order number succeeded (coin pay, present). */
export const REPEATED_OPERATION = '268490004';
/** The user's session_key does not exist or has expired: the user must log in again. */
export const SESSION_KEY_EXPIRED = '268490009';
/** The errmsg of a query for an order WeChat does not hold ("数据不存在", data does not exist). */
export const NOT_FOUND_MESSAGE = '数据不存在';

export function mapXpayError(errcode: string, errmsg: string, httpStatus?: number): ProviderError {
  if (errmsg.includes(NOT_FOUND_MESSAGE)) return new ProviderError(40005, 'wxpay-virtual', errcode, errmsg.slice(0, 200), httpStatus);
  const code = XPAY_CODES[errcode] ?? (httpStatus && httpStatus >= 500 ? 40010 : 40001);
  return new ProviderError(code, 'wxpay-virtual', errcode, errmsg.slice(0, 200), httpStatus);
}

/** `sessionKey`: the payer's mini-program session key, for APIs that also take the user-state `signature`. */
export type XpayCall = (api: string, body: Record<string, unknown>, opts?: { sessionKey?: string }) => Promise<Record<string, unknown>>;

export function createXpayCaller(config: WxpayVirtualConfig, ctx: ProviderContext): XpayCall {
  const source = { appId: config.appId, appSecret: config.appSecret, wxapiBaseUrl: config.wxapiBaseUrl ?? WXAPI_BASE_URL };
  const appKey = appKeyFor(config);
  return async (api, bodyObj, opts = {}) => {
    const uri = `/xpay/${api}`;
    const body = JSON.stringify(bodyObj);
    const paySig = serverPaySig(appKey, uri, body);
    const signature = opts.sessionKey === undefined ? undefined : userSignatureOf(opts.sessionKey, body);
    let renewed = false;
    for (;;) {
      const token = await accessTokenFor(source, ctx);
      const url = joinUrl(source.wxapiBaseUrl, uri);
      url.searchParams.set('access_token', token);
      url.searchParams.set('pay_sig', paySig);
      if (signature !== undefined) url.searchParams.set('signature', signature);
      const doc = await retrying(ctx, config.retry, async ({ timeoutMs }) => {
        let res: HttpResponse;
        try {
          res = await ctx.http({ method: 'POST', url: url.toString(), headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body, timeoutMs });
        } catch (err) {
          throw mapNetworkError('wxpay-virtual', err);
        }
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(res.body) as Record<string, unknown>;
        } catch {
          throw res.status >= 500 ? mapXpayError(`HTTP_${res.status}`, '', res.status) : new VkPayError(50000, `xpay ${api} answered non-JSON (HTTP ${res.status})`);
        }
        const errcode = String(parsed.errcode ?? '0');
        if (errcode !== '0' && !TOKEN_REJECTED_CODES.has(errcode)) throw mapXpayError(errcode, String(parsed.errmsg ?? ''), res.status);
        return parsed;
      });
      const errcode = String(doc.errcode ?? '0');
      if (errcode === '0') return doc;
      // the cached token was refused (expired early, or replaced): fetch a fresh one and ask once more
      dropAccessToken(source, token);
      if (renewed) throw mapXpayError(errcode, String(doc.errmsg ?? ''));
      renewed = true;
    }
  };
}
