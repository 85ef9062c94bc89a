/** Gateway-side helpers for the Alipay tests: verify requests like gateway.do, sign answers and notifications. */
import {
  buildAlipayNotifySignContent, responseKeyOf, signRsa2, verifyAlipayParams,
} from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/signing';
import type { FixtureAnswer, SeenRequest } from './gateway-fixture';
import { rsaPair } from './gateway-fixture';

export const APP_ID = '2021000000000001';
export const SELLER_ID = '2088000000000001';
export const appKeys = rsaPair();
export const alipayKeys = rsaPair();

/** All params of a request: URL query + form body, decoded once. */
export function paramsOf(req: SeenRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URL(req.url, 'http://x').searchParams) out[k] = v;
  for (const [k, v] of new URLSearchParams(req.body)) out[k] = v;
  return out;
}

export function requestVerifies(req: SeenRequest): boolean {
  const p = paramsOf(req);
  return p.app_id === APP_ID && p.sign_type === 'RSA2' && verifyAlipayParams(p, appKeys.publicKeyPem);
}

/** `{"<method>_response":<json>,"sign":"..."}` with the sign over exactly `json` (escaped slashes kept). */
export function answer(method: string, json: string, opts: { key?: string; unsigned?: boolean } = {}): FixtureAnswer {
  const key = responseKeyOf(method);
  const body = opts.unsigned ? `{"${key}":${json}}` : `{"${key}":${json},"sign":"${signRsa2(json, opts.key ?? alipayKeys.privateKeyPem)}"}`;
  return { status: 200, headers: { 'content-type': 'text/html;charset=utf-8' }, body };
}

export function biz(req: SeenRequest): Record<string, any> {
  return JSON.parse(paramsOf(req).biz_content ?? '{}');
}

/** A notification form body, signed like Alipay (sign and sign_type excluded from the content). */
export function notifyBody(fields: Record<string, string>, key = alipayKeys.privateKeyPem): string {
  const all = { notify_type: 'trade_status_sync', charset: 'utf-8', version: '1.0', app_id: APP_ID, seller_id: SELLER_ID, ...fields, sign_type: 'RSA2' };
  const sign = signRsa2(buildAlipayNotifySignContent(all), key);
  return new URLSearchParams({ ...all, sign }).toString();
}
