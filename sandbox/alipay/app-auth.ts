/**
 * Alipay third-party app mode at the sandbox gateway (docs/PROTOCOLS.md section 4, third-party app mode): a call carrying
 * `app_auth_token` acts for the merchant who authorised the calling app. The token must be one of the sandbox's
 * authorisations (credentials.ts `alipayAuthorizations`) and granted to the calling app_id: another app, even of the
 * same account, cannot use it; a wrong one is refused with 20001 aop.invalid-app-auth-token. The call then acts on
 * that merchant's trades only (its authorising app auth_app_id and its account seller_id), as a call without a token
 * acts on the app's own; alipay.system.oauth.token with it redeems codes of that merchant's mini program.
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

const invalidParameter = (subMsg: string): Reply => ({ code: '40004', msg: 'Business Failed', sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: subMsg });

/**
 * A mini-program order (alipay.trade.create, JSAPI_PAY; docs/PROTOCOLS.md section 4, third-party mini programs): the
 * cashier opens in op_app_id, and an open_id exists per app. A third-party call pays in the authorising merchant's
 * mini program: without op_app_id the order would name the calling app, which is no mini program
 * (ACQ.OPEN_ID_NOT_TINY_APP), and another app than the merchant's is refused. An open_id this sandbox issued must
 * be of the app it is sent for: op_buyer_open_id of op_app_id, buyer_open_id of the calling app; ids it never
 * issued pass, as the WeChat gateways let unknown openids pass.
 */
export function miniProgramMismatch(biz: Record<string, any>, appId: string, scope: AlipayScope, ownerOf: (openid: string) => string | undefined): Reply | undefined {
  if (biz.product_code !== 'JSAPI_PAY') return undefined;
  const opAppId = biz.op_app_id === undefined || biz.op_app_id === '' ? undefined : String(biz.op_app_id);
  if (scope.auth_app_id !== undefined) {
    if (opAppId === undefined) return { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.OPEN_ID_NOT_TINY_APP', sub_msg: '请求的应用id非小程序应用类型' };
    if (opAppId !== scope.auth_app_id) return invalidParameter('参数无效: op_app_id不是授权商户的小程序');
  }
  const payers: Array<[string, string | undefined, string]> = [['op_buyer_open_id', opAppId, 'op_app_id'], ['buyer_open_id', appId, 'app_id']];
  for (const [field, app, appField] of payers) {
    if (biz[field] === undefined) continue;
    if (app === undefined) return invalidParameter(`参数无效: ${field}须与${appField}一起传入`);
    const owner = ownerOf(String(biz[field]));
    if (owner !== undefined && owner !== app) return invalidParameter(`参数无效: ${field}与${appField}不匹配`);
  }
  return undefined;
}
