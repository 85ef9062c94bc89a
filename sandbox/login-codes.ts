/**
 * Login codes as a device's `uni.login` (or the official account's OAuth redirect, or Alipay's my.getAuthCode)
 * would hand them out, and the payer ids they stand for. A code belongs to one app, is spent by its first
 * exchange (a second one is refused as "used"), and expires: WeChat's after 5 minutes, Alipay's after a day.
 * A payer's id is stable per app and person (derived from the app's secret), as on the real platforms: the same
 * person has different openids under a mini program and an official account.
 *
 * Codes live in memory only: a restarted sandbox forgets them, as a code would have expired anyway.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SandboxCredentials } from './credentials';
import { wechatMerchantApps } from './wxpay/merchants';

export type LoginProvider = 'wxpay' | 'alipay';

export const LOGIN_CODE_TTL_MS: Record<LoginProvider, number> = { wxpay: 5 * 60_000, alipay: 24 * 3600_000 };

export interface SandboxApp { provider: LoginProvider; appId: string; secret: string; payType?: 'mp' | 'jsapi' }

interface IssuedCode { provider: LoginProvider; appId: string; user: string; issuedAt: number; used: boolean }

export type Redeemed = { ok: true; openid: string; user: string } | { ok: false; reason: 'invalid' | 'used' | 'expired' };

/**
 * Every app the sandbox knows: WeChat's main appid and its own mini program and official account, the other
 * merchants' and sub-merchants' apps, Alipay's app and the apps of the merchants that authorised it.
 */
export function sandboxApps(creds: SandboxCredentials): SandboxApp[] {
  return [
    { provider: 'wxpay', appId: creds.wxpay.appId, secret: creds.wxpay.appSecret },
    { provider: 'wxpay', appId: creds.wxpay.apps.mp.appId, secret: creds.wxpay.apps.mp.appSecret, payType: 'mp' },
    { provider: 'wxpay', appId: creds.wxpay.apps.jsapi.appId, secret: creds.wxpay.apps.jsapi.appSecret, payType: 'jsapi' },
    ...wechatMerchantApps(creds).map((a) => ({ provider: 'wxpay' as const, ...a })),
    { provider: 'alipay', appId: creds.alipay.appId, secret: creds.alipay.app.publicKeyPem },
    // the mini programs of the merchants that authorised that app (third-party app mode): their codes are redeemed
    // by the app with the merchant's app_auth_token (alipay/gateway.ts)
    ...(creds.alipayAuthorizations ?? []).map((a) => ({ provider: 'alipay' as const, appId: a.authAppId, secret: a.appAuthToken })),
  ];
}

/** Constant-time comparison of a presented secret. */
export function secretMatches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class LoginCodes {
  private readonly codes = new Map<string, IssuedCode>();
  /** payer id -> the app it was issued under (the WeChat gateway refuses an openid of another app) */
  private readonly owners = new Map<string, string>();
  /** appid:openid -> the session key of the payer's latest mini-program login (a new login replaces it, as on WeChat) */
  private readonly sessions = new Map<string, string>();

  constructor(private readonly creds: SandboxCredentials, private readonly now: () => number) {}

  app(provider: LoginProvider, appId: string): SandboxApp | undefined {
    return sandboxApps(this.creds).find((a) => a.provider === provider && a.appId === appId);
  }

  /** The app a code is issued for when the caller names none: the pay type's own app, else the main one. */
  defaultApp(provider: LoginProvider, payType?: string): SandboxApp {
    const apps = sandboxApps(this.creds).filter((a) => a.provider === provider);
    return apps.find((a) => payType && a.payType === payType) ?? apps[0];
  }

  issue(provider: LoginProvider, appId: string, user: string): string {
    this.sweep();
    // WeChat's codes are 32 characters, Alipay's auth codes 32 hex digits
    const code = provider === 'wxpay' ? `0${randomBytes(24).toString('base64url').replace(/[-_]/g, 'A').slice(0, 31)}` : randomBytes(16).toString('hex');
    this.codes.set(code, { provider, appId, user, issuedAt: this.now(), used: false });
    return code;
  }

  /** Spends a code for an app: unknown or foreign -> invalid, spent -> used, too old -> expired. */
  redeem(provider: LoginProvider, appId: string, code: string): Redeemed {
    const c = this.codes.get(code);
    if (!c || c.provider !== provider || c.appId !== appId) return { ok: false, reason: 'invalid' };
    if (c.used) return { ok: false, reason: 'used' };
    if (this.now() - c.issuedAt > LOGIN_CODE_TTL_MS[provider]) return { ok: false, reason: 'expired' };
    c.used = true;
    const openid = this.payerId(provider, appId, c.user);
    this.owners.set(openid, appId);
    return { ok: true, openid, user: c.user };
  }

  setSession(appId: string, openid: string, sessionKey: string): void {
    this.sessions.set(`${appId}:${openid}`, sessionKey);
  }

  /** WeChat lets the payer's session lapse (no login for a while): its key no longer signs anything. */
  endSession(appId: string, openid: string): boolean {
    return this.sessions.delete(`${appId}:${openid}`);
  }

  /** The session key WeChat holds for the payer in the mini program; undefined before any login. */
  sessionOf(appId: string, openid: string): string | undefined {
    return this.sessions.get(`${appId}:${openid}`);
  }

  /** The app an openid the sandbox issued belongs to; undefined for one it never issued. */
  appOf(openid: string): string | undefined {
    return this.owners.get(openid);
  }

  /** WeChat: `o` + 27 characters; Alipay: an open_id of `0` + 46 characters (the length Alipay's examples show). */
  payerId(provider: LoginProvider, appId: string, user: string): string {
    const app = this.app(provider, appId);
    const mac = createHmac('sha256', app?.secret ?? appId).update(`${appId}\n${user}`).digest('base64url').replace(/[-_]/g, 'x');
    return provider === 'wxpay' ? `o${mac.slice(0, 27)}` : `0${(mac + createHmac('sha256', mac).update(user).digest('hex')).slice(0, 46)}`;
  }

  /** Forgets codes long past any expiry, so a long-running sandbox does not grow. */
  private sweep(): void {
    const horizon = this.now() - 2 * LOGIN_CODE_TTL_MS.alipay;
    for (const [code, c] of this.codes) if (c.issuedAt < horizon) this.codes.delete(code);
  }

  reset(): void {
    this.codes.clear();
    this.owners.clear();
    this.sessions.clear();
  }
}
