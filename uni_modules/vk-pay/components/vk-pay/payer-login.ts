/**
 * Getting the payer known to the server before a payment that pays as a known payer (mini program `mp`, WeChat's
 * in-browser `jsapi`): the component never asks anyone for an openid. In a mini program the platform's login
 * (`uni.login`) gives a code at once; in WeChat's browser the official account's OAuth page does, by sending the
 * person away and back to this page with `?code=&state=`. Either code goes to the server (getOpenid), which keeps
 * the openid; createPayment then uses it. getPayOptions says which pay types need this and where the code comes from.
 */
import type { PayOptions, PayType, PayerLoginHint, ProviderName } from './api-types';

/** the OAuth round trip in progress: its state, for the pay type the person chose */
const STORAGE_OAUTH = 'vkpay:oauth';
/** pay types whose payer the server already knows on this device (per app) */
const STORAGE_READY = 'vkpay:payer:';

export interface PendingOAuth { state: string; provider: ProviderName; pay_type: PayType; at: number }

/** An OAuth return older than this is not continued (WeChat's code itself lives 5 minutes). */
const OAUTH_MAX_AGE_MS = 10 * 60_000;

function storage(): { get(k: string): unknown; set(k: string, v: string): void; del(k: string): void } | null {
  if (typeof uni === 'undefined' || typeof uni.getStorageSync !== 'function') return null;
  return { get: (k) => uni.getStorageSync(k), set: (k, v) => uni.setStorageSync(k, v), del: (k) => uni.removeStorageSync(k) };
}

export function loginHint(options: PayOptions | null | undefined, provider: ProviderName, payType: PayType): PayerLoginHint | undefined {
  return options?.providers?.find((p) => p.provider === provider)?.login?.[payType];
}

const readyKey = (provider: ProviderName, payType: PayType, hint: PayerLoginHint) => `${STORAGE_READY}${provider}:${payType}:${hint.app_id}`;

export function isPayerReady(provider: ProviderName, payType: PayType, hint: PayerLoginHint): boolean {
  return storage()?.get(readyKey(provider, payType, hint)) === '1';
}

export function setPayerReady(provider: ProviderName, payType: PayType, hint: PayerLoginHint, ready: boolean): void {
  const s = storage();
  if (!s) return;
  if (ready) s.set(readyKey(provider, payType, hint), '1');
  else s.del(readyKey(provider, payType, hint));
}

/** A random state that ties the OAuth return to the round trip this page started. */
export function newState(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The official account's authorize URL for this page, silent scope (snsapi_base: the openid, no profile). */
export function authorizeUrl(hint: PayerLoginHint, returnTo: string, state: string): string {
  const page = (hint.authorize_url ?? '').split(/[?#]/)[0];
  // WeChat's page takes its parameters in this order, and the fragment that marks the redirect
  return `${page}?appid=${encodeURIComponent(hint.app_id)}&redirect_uri=${encodeURIComponent(returnTo)}&response_type=code&scope=snsapi_base&state=${state}#wechat_redirect`;
}

/** Remembers the round trip; the page is left next. */
export function savePending(p: PendingOAuth): void {
  storage()?.set(STORAGE_OAUTH, JSON.stringify(p));
}

/** The address without the `code` and `state` an OAuth redirect appended (the hash route kept). */
export function withoutOAuthParams(url: string): string {
  const u = new URL(url);
  u.searchParams.delete('code');
  u.searchParams.delete('state');
  return u.toString();
}

/**
 * The code this page was sent back with, when it answers the round trip this device started for this provider and
 * pay type (same state, recent enough); the pending round trip is forgotten either way once a code arrives.
 */
export function takeOAuthReturn(url: string, provider: ProviderName, payType: PayType, now: number): { code: string } | null {
  let u: URL;
  try { u = new URL(url); } catch { return null; }
  const code = u.searchParams.get('code');
  const state = u.searchParams.get('state');
  const s = storage();
  if (!code || !state || !s) return null;
  const raw = s.get(STORAGE_OAUTH);
  let pending: PendingOAuth | null = null;
  try { pending = typeof raw === 'string' && raw ? (JSON.parse(raw) as PendingOAuth) : null; } catch { pending = null; }
  if (!pending || pending.state !== state) return null;
  s.del(STORAGE_OAUTH);
  if (pending.provider !== provider || pending.pay_type !== payType || now - pending.at > OAUTH_MAX_AGE_MS) return null;
  return { code };
}
