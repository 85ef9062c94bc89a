/**
 * The WeChat Pay v3 merchants the sandbox serves (credentials.ts): the main one (`wxpay`) and `wxpayMerchants`, each
 * with its own mchid, keys, APIv3 key and platform key, and the apps bound to it. A request is authenticated as the
 * merchant its Authorization names and answered with that merchant's platform key; the code that handles it sees
 * that merchant's credentials in the `wxpay` slot (`credsFor`), so the single-merchant gateway code serves them all.
 */
import type { SandboxCredentials, SandboxWxMerchant } from '../credentials';
import { parseAuthorization } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';

/** The main merchant in the shape of the others. */
function mainMerchant(creds: SandboxCredentials): SandboxWxMerchant {
  const w = creds.wxpay;
  return { mchId: w.mchId, appId: w.appId, appSecret: w.appSecret, apiV3Key: w.apiV3Key, merchant: w.merchant, platform: w.platform };
}

export function v3Merchants(creds: SandboxCredentials): SandboxWxMerchant[] {
  return [mainMerchant(creds), ...(creds.wxpayMerchants ?? [])];
}

/** The merchant of a mchid: the listed ones first (so credentials scoped by `credsFor` still find their sub-merchants). */
export function merchantById(creds: SandboxCredentials, mchid: string | undefined): SandboxWxMerchant | undefined {
  if (!mchid) return undefined;
  return (creds.wxpayMerchants ?? []).find((m) => m.mchId === mchid) ?? (creds.wxpay.mchId === mchid ? mainMerchant(creds) : undefined);
}

/** The appids bound to a merchant: the main one has its own mini program and official account besides its appid. */
export function appsOf(creds: SandboxCredentials, m: SandboxWxMerchant): string[] {
  // (a listed merchant is checked first: in credentials scoped by `credsFor` its mchid sits in the wxpay slot too)
  if ((creds.wxpayMerchants ?? []).some((x) => x.mchId === m.mchId)) return [m.appId];
  return [creds.wxpay.appId, creds.wxpay.apps.mp.appId, creds.wxpay.apps.jsapi.appId];
}

export function subMerchantOf(m: SandboxWxMerchant, subMchid: unknown): NonNullable<SandboxWxMerchant['subMerchants']>[number] | undefined {
  return typeof subMchid === 'string' ? m.subMerchants?.find((s) => s.mchId === subMchid) : undefined;
}

/** The credentials with `m` in the `wxpay` slot (the main merchant's own object when m is the main one). */
export function credsFor(creds: SandboxCredentials, m: SandboxWxMerchant | undefined): SandboxCredentials {
  if (!m || m.mchId === creds.wxpay.mchId) return creds;
  return { ...creds, wxpay: { ...creds.wxpay, mchId: m.mchId, appId: m.appId, appSecret: m.appSecret, apiV3Key: m.apiV3Key, merchant: m.merchant, platform: m.platform } };
}

/** The credentials of the merchant a request's Authorization header names (the main one's when it names none known). */
export function credsOfRequest(creds: SandboxCredentials, authorization: string | undefined): SandboxCredentials {
  const auth = authorization ? parseAuthorization(authorization) : null;
  return credsFor(creds, merchantById(creds, auth?.mchid));
}

/** Every app of every WeChat merchant and sub-merchant, with its secret (login codes, openid ownership). */
export function wechatMerchantApps(creds: SandboxCredentials): Array<{ appId: string; secret: string }> {
  return (creds.wxpayMerchants ?? []).flatMap((m) => [
    { appId: m.appId, secret: m.appSecret },
    ...(m.subMerchants ?? []).map((s) => ({ appId: s.appId, secret: s.appSecret })),
  ]);
}
