/**
 * The service-provider (partner) paths of WeChat Pay v3 under /sandbox/wxpay/v3/pay/partner/ (docs/PROTOCOLS.md
 * section 2, partner mode), with the checks WeChat makes: the caller must be a service provider, sp_mchid must be the merchant
 * that signed the request, sub_mchid must be one of its sub-merchants, sp_appid must be bound to the provider and
 * sub_appid to the sub-merchant, and an openid must belong to the app its field names (sub_openid to sub_appid,
 * sp_openid to sp_appid). Orders are seen only by the provider and sub-merchant they were made for.
 */
import type { SandboxWxMerchant } from '../credentials';
import type { GatewayContext, GatewayRequest } from '../context';
import { appsOf, subMerchantOf } from './merchants';
import { sendV3, type V3Failure } from './v3-auth';
import { v3Transaction } from './v3-objects';
import {
  APPID_MCHID_NOT_MATCH, checkOrderFields, NOT_EXIST, OPENID_MISMATCH, ownedBy, placeOrder, required, SUB_MCH_REFUSED, type Fail,
} from './v3-orders';

const SP_MISMATCH: V3Failure = { status: 400, code: 'PARAM_ERROR', message: 'sp_mchid与请求头Authorization中的商户号不一致' };
const NOT_BOUND: V3Failure = { status: 400, code: 'INVALID_REQUEST', message: '子商户号sub_mchid与服务商商户号sp_mchid不存在受理关系' };

/**
 * The provider and sub-merchant a partner call names (body or query), checked against the signer; the sub-merchant,
 * or the failure WeChat answers with.
 */
export function checkPartnerIds(me: SandboxWxMerchant, sp: unknown, sub: unknown, where: 'body' | 'query'): { sub: NonNullable<SandboxWxMerchant['subMerchants']>[number] } | { failure: V3Failure } {
  // a direct merchant has no sub-merchants to name
  if (!me.subMerchants?.length) return { failure: SUB_MCH_REFUSED };
  const need = (f: string): V3Failure => (where === 'body' ? required(f) : { status: 400, code: 'PARAM_ERROR', message: `输入源“/query/${f}”映射到值字段“${f}”必填性规则校验失败，此字段为必填项` });
  if (typeof sp !== 'string' || sp === '') return { failure: need('sp_mchid') };
  if (typeof sub !== 'string' || sub === '') return { failure: need('sub_mchid') };
  if (sp !== me.mchId) return { failure: SP_MISMATCH };
  const found = subMerchantOf(me, sub);
  return found ? { sub: found } : { failure: NOT_BOUND };
}

export function handlePartner(ctx: GatewayContext, me: SandboxWxMerchant, r: GatewayRequest, body: any, fail: Fail): boolean {
  const path = r.subPath;
  const send = (value: unknown) => sendV3(r.res, ctx.creds, ctx.now(), 200, value);
  let m: RegExpMatchArray | null;
  if (r.method === 'POST' && (m = path.match(/^\/v3\/pay\/partner\/transactions\/(jsapi|app|h5|native)$/))) {
    createPartnerOrder(ctx, me, r, m[1], body, fail);
    return true;
  }
  if (r.method === 'GET' && (m = path.match(/^\/v3\/pay\/partner\/transactions\/(out-trade-no|id)\/([^/]+)$/))) {
    const ids = checkPartnerIds(me, r.query.get('sp_mchid') ?? undefined, r.query.get('sub_mchid') ?? undefined, 'query');
    if ('failure' in ids) { fail(ids.failure); return true; }
    const key = decodeURIComponent(m[2]);
    const found = m[1] === 'out-trade-no'
      ? ctx.ledger.get('wxpay', key)
      : Object.values(ctx.state.data.orders).find((o) => o.channel === 'wxpay' && o.transaction_id === key && o.status === 'SUCCESS');
    const order = ownedBy(found, me.mchId, ids.sub.mchId);
    if (order) send(v3Transaction(order)); else fail(NOT_EXIST);
    return true;
  }
  if (r.method === 'POST' && (m = path.match(/^\/v3\/pay\/partner\/transactions\/out-trade-no\/([^/]+)\/close$/))) {
    const ids = checkPartnerIds(me, body.sp_mchid, body.sub_mchid, 'body');
    if ('failure' in ids) { fail(ids.failure); return true; }
    const no = decodeURIComponent(m[1]);
    if (!ownedBy(ctx.ledger.get('wxpay', no), me.mchId, ids.sub.mchId)) { fail(NOT_EXIST); return true; }
    const out = ctx.ledger.close('wxpay', no);
    if (out.ok) sendV3(r.res, ctx.creds, ctx.now(), 204);
    else fail(out.reason === 'paid' ? { status: 400, code: 'ORDERPAID', message: '订单已支付，不能关闭' } : NOT_EXIST);
    return true;
  }
  return false;
}

function createPartnerOrder(ctx: GatewayContext, me: SandboxWxMerchant, r: GatewayRequest, kind: string, b: any, fail: Fail): void {
  const ids = checkPartnerIds(me, b.sp_mchid, b.sub_mchid, 'body');
  if ('failure' in ids) return fail(ids.failure);
  if (typeof b.sp_appid !== 'string' || b.sp_appid === '') return fail(required('sp_appid'));
  if (!appsOf(ctx.creds, me).includes(b.sp_appid)) return fail({ ...APPID_MCHID_NOT_MATCH, message: 'sp_appid和sp_mchid不匹配，请检查后再试' });
  if (b.sub_appid !== undefined && b.sub_appid !== ids.sub.appId) return fail({ ...APPID_MCHID_NOT_MATCH, message: 'sub_appid和sub_mchid不匹配，请检查后再试' });
  const fields = checkOrderFields(ctx, kind, b);
  if ('failure' in fields) return fail(fields.failure);
  let payer: { payer_id?: string; payer_field?: 'sp_openid' | 'sub_openid' } = {};
  if (kind === 'jsapi') {
    const sub = b.payer?.sub_openid;
    const sp = b.payer?.sp_openid;
    if (typeof sub === 'string' && sub !== '') {
      // sub_openid is an openid under sub_appid: without sub_appid it names no app
      if (b.sub_appid === undefined) return fail(required('sub_appid'));
      if ((ctx.logins.appOf(sub) ?? b.sub_appid) !== b.sub_appid) return fail({ ...OPENID_MISMATCH, message: 'sub_openid和sub_appid不匹配' });
      payer = { payer_id: sub, payer_field: 'sub_openid' };
    } else if (typeof sp === 'string' && sp !== '') {
      if ((ctx.logins.appOf(sp) ?? b.sp_appid) !== b.sp_appid) return fail({ ...OPENID_MISMATCH, message: 'sp_openid和sp_appid不匹配' });
      payer = { payer_id: sp, payer_field: 'sp_openid' };
    } else {
      return fail(required('payer/sp_openid'));
    }
  }
  placeOrder(ctx, r, kind, b, {
    app_id: b.sp_appid, merchant_id: me.mchId, sub_merchant_id: ids.sub.mchId,
    ...(b.sub_appid !== undefined ? { sub_app_id: b.sub_appid } : {}), ...payer,
  }, fields.expiresAt, fail);
}
