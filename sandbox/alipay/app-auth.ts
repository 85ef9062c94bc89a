/**
 * Alipay third-party app mode at the sandbox gateway (docs/PROTOCOLS.md section 4, third-party app mode): a call carrying
 * `app_auth_token` acts for the merchant who authorised the calling app. The token must be one of the sandbox's
 * authorisations (credentials.ts `alipayAuthorizations`) and granted to the calling app_id: another app, even of the
 * same account, cannot use it; a wrong one is refused with 20001 aop.invalid-app-auth-token. The call then acts on
 * that merchant's trades only (its authorising app auth_app_id and its account seller_id), as a call without a token
 * acts on the app's own.
 */
import type { SandboxCredentials } from '../credentials';
import type { SandboxOrder } from '../state';

type Reply = Record<string, unknown>;

/** Whose trades a call acts on: the app's own (no token), or an authorising merchant's. */
export interface AlipayScope {
  /** the authorising merchant's app; undefined for the calling app's own trades */
  auth_app_id?: string;
  seller_id: string;
}

export const INVALID_APP_AUTH_TOKEN: Reply = { code: '20001', msg: 'Insufficient Token Permissions', sub_code: 'aop.invalid-app-auth-token', sub_msg: '无效的应用授权令牌' };

/** The scope of a verified call, or the refusal of its token. */
export function alipayScope(creds: SandboxCredentials, p: Record<string, string>): { scope: AlipayScope } | { error: Reply } {
  const token = p.app_auth_token;
  if (token === undefined || token === '') return { scope: { seller_id: creds.alipay.sellerId } };
  // every authorisation of this sandbox was granted to its one app (alipay.appId)
  const auth = p.app_id === creds.alipay.appId ? (creds.alipayAuthorizations ?? []).find((a) => a.appAuthToken === token) : undefined;
  if (!auth) return { error: INVALID_APP_AUTH_TOKEN };
  return { scope: { auth_app_id: auth.authAppId, seller_id: auth.sellerId } };
}

/** A trade is visible to calls for the merchant it was made for, and to no one else's. */
export function inScope(order: SandboxOrder | undefined, scope: AlipayScope): SandboxOrder | undefined {
  return order && (order.auth_app_id ?? undefined) === scope.auth_app_id && order.merchant_id === scope.seller_id ? order : undefined;
}

/** A seller_id in biz_content must be the merchant the call acts for. */
export function sellerMismatch(biz: Record<string, any>, scope: AlipayScope): Reply | undefined {
  if (biz.seller_id === undefined || String(biz.seller_id) === scope.seller_id) return undefined;
  return { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: '参数无效: seller_id与授权商户不一致' };
}
