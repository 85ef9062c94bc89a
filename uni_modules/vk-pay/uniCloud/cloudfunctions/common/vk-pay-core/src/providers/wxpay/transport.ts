/**
 * One signed WeChat Pay v3 call: the body is serialised once, every attempt is re-signed with a fresh nonce and
 * timestamp over the exact path+query sent (including a base-URL prefix such as /sandbox/wxpay), non-2xx answers
 * are mapped (error-map.ts), and 2xx answers are verified on their raw body before anyone reads them.
 */
import { mapNetworkError, mapWxpayV3Error } from '../error-map';
import { clockOf, joinUrl, retrying } from '../shared';
import type { HttpResponse } from '../../platform/http';
import type { ProviderContext } from '../types';
import type { ResolvedWxpayConfig } from './config';
import { createNonce, pickWechatpayHeaders, signV3Request, verifyV3Signed } from './signing';
import { verificationKeysFor } from './platform-cert-store';

export const USER_AGENT = 'vk-pay/0.1 (+https://github.com/vk-pay)';

/** `serial`: the platform key a sensitive field was encrypted with, sent as Wechatpay-Serial (else the public key's id). */
export type WxpayCall = (method: 'GET' | 'POST', apiPath: string, body?: unknown, opts?: { serial?: string }) => Promise<HttpResponse>;

export function createWxpayTransport(r: ResolvedWxpayConfig, ctx: ProviderContext): WxpayCall {
  const now = clockOf(ctx);
  return async (method, apiPath, bodyObj, opts) => {
    const url = joinUrl(r.baseUrl, apiPath);
    const pathWithQuery = url.pathname + url.search;
    const body = bodyObj === undefined ? '' : JSON.stringify(bodyObj);
    // platform-certificate mode: hold the certificates before sending, so no request is spent on an answer we
    // could not verify
    if (r.certStore) await r.certStore.prepare({});
    return retrying(ctx, r.config.retry, async ({ timeoutMs }) => {
      const authorization = signV3Request({
        method, pathWithQuery, body, mchid: r.config.mchId, serialNo: r.config.merchant.serialNo,
        privateKey: r.merchantKey, timestamp: Math.floor(now() / 1000), nonce: createNonce(),
      });
      const headers: Record<string, string> = { Authorization: authorization, Accept: 'application/json', 'User-Agent': USER_AGENT };
      if (method !== 'GET') headers['Content-Type'] = 'application/json';
      const serial = opts?.serial ?? r.publicKeyId;
      if (serial) headers['Wechatpay-Serial'] = serial;
      let res: HttpResponse;
      try {
        res = await ctx.http({ method, url: url.toString(), headers, body: method === 'GET' ? undefined : body, timeoutMs });
      } catch (err) {
        throw mapNetworkError('wxpay', err);
      }
      if (res.status < 200 || res.status >= 300) throw mapWxpayV3Error(res.status, res.body);
      // 2xx only, like wechatpay-go: the signature covers the raw body (empty for 204)
      const signed = pickWechatpayHeaders(res.headers);
      verifyV3Signed(signed, res.body, await verificationKeysFor(r, signed), now());
      return res;
    });
  };
}
