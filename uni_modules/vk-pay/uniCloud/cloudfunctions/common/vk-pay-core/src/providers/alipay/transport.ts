/**
 * Alipay gateway.do calls and signed client strings. Common params travel in the URL query and biz_content in
 * the form body, as the official Node SDK sends them; every attempt is re-signed with a fresh timestamp over the
 * same biz_content. Answers are verified over the raw `*_response` text before they are read.
 */
import type { KeyObject } from 'node:crypto';
import { SignatureError, VkPayError } from '../../../../../../../common/errors';
import { mapAlipayError, mapAlipayHttpError, mapNetworkError } from '../error-map';
import { clockOf, retrying } from '../shared';
import type { HttpResponse } from '../../platform/http';
import type { ProviderContext } from '../types';
import type { ResolvedAlipayConfig } from './config';
import { formatAlipayTimestamp, responseKeyOf, signAlipayParams, verifyAlipayResponse } from './signing';

/** Params alipay-sdk puts in the URL (formatUrl); everything else goes in the body. */
const URL_PARAMS = new Set(['app_id', 'method', 'format', 'charset', 'sign_type', 'sign', 'timestamp', 'version', 'notify_url', 'return_url', 'app_auth_token', 'app_cert_sn', 'alipay_root_cert_sn']);

export interface AlipayExtras {
  notify_url?: string;
  return_url?: string;
  /** request parameters outside biz_content (alipay.system.oauth.token takes grant_type and code so) */
  params?: Record<string, string>;
  /** one attempt only: the call spends something single-use (an auth code) */
  once?: boolean;
  /** the method's success answer carries no `code` (alipay.system.oauth.token): success = signed and no code */
  codeless?: boolean;
}

/** `biz` null: a method without biz_content. */
export type AlipayExec = (method: string, biz: Record<string, unknown> | null, extras?: AlipayExtras) => Promise<Record<string, any>>;

/** All params for one request, signed: the common set + extras + biz_content. */
export function signedParams(r: ResolvedAlipayConfig, method: string, bizContent: string | undefined, nowMs: number, extras: AlipayExtras = {}): Record<string, string> {
  const params: Record<string, string> = {
    app_id: r.config.appId, method, format: 'JSON', charset: 'utf-8', sign_type: 'RSA2',
    timestamp: formatAlipayTimestamp(nowMs), version: '1.0',
  };
  if (extras.notify_url) params.notify_url = extras.notify_url;
  if (extras.return_url) params.return_url = extras.return_url;
  if (r.certSns) Object.assign(params, r.certSns);
  // third-party app mode: every call acts for the authorising merchant (a public parameter, signed like the rest)
  if (r.config.appAuthToken) params.app_auth_token = r.config.appAuthToken;
  if (extras.params) for (const [k, v] of Object.entries(extras.params)) if (!(k in params)) params[k] = v;
  if (bizContent !== undefined) params.biz_content = bizContent;
  params.sign = signAlipayParams(params, r.appKey);
  return params;
}

/** `k=encodeURIComponent(v)&...`: the App SDK order string and the GET form of wap/page pay. */
export function encodeParams(params: Record<string, string>): string {
  return Object.keys(params).map((k) => `${k}=${encodeURIComponent(params[k])}`).join('&');
}

function parseJson(method: string, res: HttpResponse): Record<string, any> {
  if (res.status !== 200) throw mapAlipayHttpError(res.status, res.body);
  try {
    return JSON.parse(res.body) as Record<string, any>;
  } catch {
    throw new VkPayError(50000, `alipay ${method}: answer is not JSON`);
  }
}

/**
 * The key an answer verifies with. Certificate mode: the certificate its alipay_cert_sn names - the configured
 * one, or one Alipay changed to, downloaded and checked against the root bundle (cert-store.ts); an SN that
 * cannot be had is refused like a bad signature.
 */
async function answerKey(r: ResolvedAlipayConfig, method: string, doc: Record<string, any>): Promise<KeyObject> {
  if (!r.certStore || typeof doc.alipay_cert_sn !== 'string' || doc.alipay_cert_sn === r.alipayCertSn) return r.alipayKey;
  const got = await r.certStore.keyFor(doc.alipay_cert_sn);
  if ('key' in got) return got.key;
  throw new SignatureError(`alipay ${method}: answer signed under alipay_cert_sn ${doc.alipay_cert_sn.slice(0, 40)}, which is neither the configured alipayCertPem's (${r.alipayCertSn}) nor a certificate from Alipay that chains to alipayRootCertPem: ${got.problem}`);
}

async function parseAnswer(r: ResolvedAlipayConfig, method: string, res: HttpResponse, codeless = false): Promise<Record<string, any>> {
  const doc = parseJson(method, res);
  const key = responseKeyOf(method);
  const data = doc[key] as Record<string, any> | undefined;
  const sign = typeof doc.sign === 'string' ? doc.sign : '';
  if (!data || typeof data !== 'object') {
    const er = doc.error_response as Record<string, any> | undefined;
    if (er) throw mapAlipayError(String(er.code ?? ''), String(er.msg ?? ''), er.sub_code, er.sub_msg, false);
    throw new VkPayError(50000, `alipay ${method}: answer has no ${key}`);
  }
  const success = data.code === '10000' || (codeless && data.code === undefined && data.sub_code === undefined);
  if (!sign) {
    // an unsigned success is never trusted; an unsigned failure may fail the call but proves nothing
    if (success) throw new SignatureError(`alipay ${method}: success answer without sign`);
    throw mapAlipayError(String(data.code ?? ''), String(data.msg ?? ''), data.sub_code, data.sub_msg, false);
  }
  if (!verifyAlipayResponse(res.body, key, sign, await answerKey(r, method, doc))) throw new SignatureError(`alipay ${method}: response sign does not verify`);
  if (!success) throw mapAlipayError(String(data.code ?? ''), String(data.msg ?? ''), data.sub_code, data.sub_msg);
  return data;
}

/** One signed POST to gateway.do: common params in the URL query, the rest in the form body. */
async function post(r: ResolvedAlipayConfig, ctx: ProviderContext, params: Record<string, string>, timeoutMs: number): Promise<HttpResponse> {
  const url = new URL(r.gatewayUrl);
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (URL_PARAMS.has(k)) url.searchParams.set(k, v);
    else form.set(k, v);
  }
  try {
    return await ctx.http({
      method: 'POST', url: url.toString(), timeoutMs, body: form.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=utf-8', Accept: 'application/json' },
    });
  } catch (err) {
    throw mapNetworkError('alipay', err);
  }
}

export const CERT_DOWNLOAD_METHOD = 'alipay.open.app.alipaycert.download';

/**
 * alipay.open.app.alipaycert.download {alipay_cert_sn}: answers the certificate's PEM text (alipay_cert_content is
 * its base64). Nothing in the answer is trusted but the certificate, which the caller checks against the root
 * bundle - the SDKs do not verify this answer's signature either (docs/PROTOCOLS.md section 4).
 */
export async function downloadAlipayCert(r: ResolvedAlipayConfig, ctx: ProviderContext, sn: string): Promise<string> {
  const now = clockOf(ctx);
  const bizContent = JSON.stringify({ alipay_cert_sn: sn });
  return retrying(ctx, r.config.retry, async ({ timeoutMs }) => {
    const doc = parseJson(CERT_DOWNLOAD_METHOD, await post(r, ctx, signedParams(r, CERT_DOWNLOAD_METHOD, bizContent, now()), timeoutMs));
    const data = (doc[responseKeyOf(CERT_DOWNLOAD_METHOD)] ?? doc.error_response) as Record<string, any> | undefined;
    if (!data || typeof data !== 'object') throw new VkPayError(50000, `alipay ${CERT_DOWNLOAD_METHOD}: answer has no ${responseKeyOf(CERT_DOWNLOAD_METHOD)}`);
    if (data.code !== '10000') throw mapAlipayError(String(data.code ?? ''), String(data.msg ?? ''), data.sub_code, data.sub_msg, false);
    if (typeof data.alipay_cert_content !== 'string' || data.alipay_cert_content === '') throw new VkPayError(50000, `alipay ${CERT_DOWNLOAD_METHOD}: answer without alipay_cert_content`);
    return Buffer.from(data.alipay_cert_content, 'base64').toString('utf8');
  });
}

export function createAlipayExec(r: ResolvedAlipayConfig, ctx: ProviderContext): AlipayExec {
  const now = clockOf(ctx);
  return async (method, biz, extras) => {
    const bizContent = biz === null ? undefined : JSON.stringify(biz);
    return retrying(ctx, extras?.once ? { ...r.config.retry, maxAttempts: 1 } : r.config.retry, async ({ timeoutMs }) => {
      const res = await post(r, ctx, signedParams(r, method, bizContent, now(), extras), timeoutMs);
      return parseAnswer(r, method, res, extras?.codeless);
    });
  };
}
