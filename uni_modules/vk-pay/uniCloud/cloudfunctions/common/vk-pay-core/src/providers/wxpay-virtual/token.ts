/**
 * The mini program's access_token from `POST /cgi-bin/stable_token` (normal mode, never force_refresh: that one
 * invalidates the token other instances hold and is limited to 20 a day). Cached per API base and appid for the
 * life of the cloud instance, renewed RENEW_BEFORE_MS before it expires, and dropped when an API says it is
 * invalid or expired so the next call fetches again. Concurrent callers share one fetch.
 */
import { KeyConfigError, VkPayError } from '../../../../../../../common/errors';
import { mapNetworkError, mapWechatLoginError } from '../error-map';
import { DEFAULT_TIMEOUT_MS, clockOf, joinUrl } from '../shared';
import type { HttpResponse } from '../../platform/http';
import type { ProviderContext } from '../types';

/** Renew this long before WeChat's expiry (WeChat itself renews 5 minutes before the end in normal mode). */
export const RENEW_BEFORE_MS = 5 * 60_000;
/** errcodes that say the token in hand is no good (invalid credential / access_token expired). */
export const TOKEN_REJECTED_CODES = new Set(['40001', '42001', '40014']);

interface Cached { token: string; expiresAt: number }
const cache = new Map<string, Cached>();
const inflight = new Map<string, Promise<Cached>>();

export interface TokenSource { appId: string; appSecret: string; wxapiBaseUrl: string }

const keyOf = (s: TokenSource) => `${s.wxapiBaseUrl}|${s.appId}`;

/** A valid access_token for the app (cached, or fetched once for all concurrent callers). */
export async function accessTokenFor(source: TokenSource, ctx: ProviderContext): Promise<string> {
  const now = clockOf(ctx)();
  const key = keyOf(source);
  const hit = cache.get(key);
  if (hit && hit.expiresAt - RENEW_BEFORE_MS > now) return hit.token;
  let pending = inflight.get(key);
  if (!pending) {
    pending = fetchStableToken(source, ctx).finally(() => inflight.delete(key));
    inflight.set(key, pending);
  }
  const fresh = await pending;
  cache.set(key, fresh);
  return fresh.token;
}

/** Forget the app's token (an API refused it); the next accessTokenFor fetches a new one. */
export function dropAccessToken(source: TokenSource, token: string): void {
  const key = keyOf(source);
  if (cache.get(key)?.token === token) cache.delete(key);
}

/** Test seam: empties the per-instance cache. */
export function clearAccessTokenCache(): void {
  cache.clear();
}

async function fetchStableToken(source: TokenSource, ctx: ProviderContext): Promise<Cached> {
  const url = joinUrl(source.wxapiBaseUrl, '/cgi-bin/stable_token');
  const body = JSON.stringify({ grant_type: 'client_credential', appid: source.appId, secret: source.appSecret });
  let res: HttpResponse;
  try {
    res = await ctx.http({ method: 'POST', url: url.toString(), headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body, timeoutMs: ctx.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  } catch (err) {
    throw mapNetworkError('wxpay-virtual', err);
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    throw res.status >= 500 ? mapWechatLoginError('wxpay-virtual', `HTTP_${res.status}`, '', res.status) : new VkPayError(50000, `stable_token answered non-JSON (HTTP ${res.status})`);
  }
  if (doc.errcode !== undefined && Number(doc.errcode) !== 0) {
    const code = String(doc.errcode);
    // a wrong appid or secret is our configuration, whatever else the code table says
    if (code === '40013' || code === '40125' || code === '41004' || code === '40164') throw new KeyConfigError(`wxpay-virtual stable_token refused the app credentials (${code})`);
    throw mapWechatLoginError('wxpay-virtual', code, String(doc.errmsg ?? ''), res.status);
  }
  const token = doc.access_token;
  const expiresIn = Number(doc.expires_in);
  if (typeof token !== 'string' || token === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) throw new VkPayError(50000, 'stable_token answered without access_token/expires_in');
  return { token, expiresAt: clockOf(ctx)() + expiresIn * 1000 };
}
