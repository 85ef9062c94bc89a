/**
 * Alipay auth codes -> the payer's id (docs/PROTOCOLS.md section 7): `alipay.system.oauth.token` with
 * grant_type=authorization_code and the code as plain request parameters (no biz_content), signed like every
 * gateway call and answered in `alipay_system_oauth_token_response` (signed; a success carries no `code`), or `error_response` with
 * sub_code `isv.code-invalid` for an unknown, expired, reused or foreign code. Apps in open-id mode get
 * `open_id`, older apps `user_id` (2088...): either is the buyer id alipay.trade.create takes.
 * The code is single-use, so there is one attempt only.
 *
 * Third-party app mode (docs/PROTOCOLS.md section 4, third-party mini programs): the code comes from the merchant's
 * mini program, and the exchange carries that merchant's app_auth_token (transport.ts sends it with every call), so
 * the open_id answered is the payer's under that mini program, not under the app that signs.
 */
import { ParamError, VkPayError } from '../../../../../../../common/errors';
import type { LoginCodeInput, PayerLogin } from '../types';
import type { AlipayExec } from './transport';

/**
 * The app an Alipay mp payer's id belongs to, and so the mini program the cashier opens in: the signing app itself,
 * or in third-party app mode the merchant's mini program (`mpAppId` when it names another one than the authorising
 * app, else `auth_app_id`), which alipay.trade.create then names as op_app_id.
 */
export function alipayPayerAppId(c: { appId: string; authAppId?: string; mpAppId?: string }): string {
  return c.authAppId === undefined ? c.appId : c.mpAppId ?? c.authAppId;
}

export async function exchangeAlipayAuthCode(exec: AlipayExec, appId: string, input: LoginCodeInput): Promise<PayerLogin> {
  if (input.pay_type !== 'mp') throw new ParamError(`alipay has no login code for pay_type ${input.pay_type}`);
  if (typeof input.code !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(input.code)) throw new ParamError('code must be 1-64 of [A-Za-z0-9_-]');
  const d = await exec('alipay.system.oauth.token', null, { params: { grant_type: 'authorization_code', code: input.code }, once: true, codeless: true });
  const openid = typeof d.open_id === 'string' && d.open_id ? d.open_id : typeof d.user_id === 'string' ? d.user_id : '';
  if (!/^[A-Za-z0-9_-]{6,128}$/.test(openid)) throw new VkPayError(50000, 'alipay.system.oauth.token answered without open_id or user_id');
  return { openid, app_id: appId };
}
