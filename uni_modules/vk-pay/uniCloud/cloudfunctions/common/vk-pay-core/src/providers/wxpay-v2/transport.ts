/**
 * One v2 XML call: sign (fresh nonce_str per attempt, same business fields), POST, then check return_code,
 * verify the answer's sign (constant-time), and only then read result_code / err_code.
 */
import { KeyConfigError, SignatureError } from '../../../../../../../common/errors';
import { mapNetworkError, mapWxpayV2Error } from '../error-map';
import { joinUrl, retrying } from '../shared';
import type { HttpResponse } from '../../platform/http';
import type { ProviderContext } from '../types';
import type { ResolvedWxpayV2Config } from './config';
import { createNonceV2 } from './nonce';
import { signV2, verifyV2 } from './signing';
import { buildV2Xml, parseV2Xml } from './xml';

export type WxpayV2Call = (apiPath: string, fields: Record<string, string | number | undefined>) => Promise<Record<string, string>>;

/** The v2 calls WeChat serves only over mutual TLS with the merchant's API certificate. */
export function needsClientCert(apiPath: string): boolean {
  return apiPath.startsWith('/secapi/');
}

export function createWxpayV2Transport(r: ResolvedWxpayV2Config, ctx: ProviderContext): WxpayV2Call {
  return async (apiPath, fields) => {
    const secure = needsClientCert(apiPath);
    if (secure && !r.tls) throw new KeyConfigError(`wxpay-v2 ${apiPath} needs the merchant API certificate: set clientP12 (apiclient_cert.p12) or clientKeyPem + clientCertPem`);
    const url = joinUrl(secure ? r.secapiBaseUrl : r.baseUrl, apiPath);
    return retrying(ctx, r.config.retry, async ({ timeoutMs }) => {
      const params: Record<string, string | number | undefined> = { ...fields, nonce_str: createNonceV2() };
      if (r.signType !== 'MD5') params.sign_type = r.signType;
      params.sign = signV2(params, r.key, r.signType);
      let res: HttpResponse;
      try {
        res = await ctx.http({
          method: 'POST', url: url.toString(), timeoutMs, body: buildV2Xml(params), headers: { 'Content-Type': 'text/xml; charset=utf-8', Accept: 'text/xml' },
          ...(secure ? { tls: r.tls } : {}),
        });
      } catch (err) {
        throw mapNetworkError('wxpay-v2', err);
      }
      if (res.status !== 200) throw mapWxpayV2Error(`HTTP_${res.status}`, res.body.slice(0, 200), res.status);
      const answer = parseV2Xml(res.body);
      if (answer.return_code !== 'SUCCESS') throw mapWxpayV2Error(answer.return_code ?? 'FAIL', answer.return_msg ?? '');
      if (!verifyV2(answer, r.key, r.signType)) throw new SignatureError(`wxpay-v2 ${apiPath}: answer sign does not verify`);
      if (answer.result_code !== 'SUCCESS') throw mapWxpayV2Error(answer.err_code ?? 'FAIL', answer.err_code_des ?? '');
      return answer;
    });
  };
}
