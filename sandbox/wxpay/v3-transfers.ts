/**
 * WeChat Pay v3 merchant transfers under /sandbox/wxpay (docs/PROTOCOLS.md section 10.1): start a bill, query it
 * by out_bill_no, cancel it, and the MCHTRANSFER.BILL.FINISHED notification. Checks what WeChat checks: the
 * signed request (done by the caller), appid bound to the mchid, the out_bill_no alphabet, scene and report
 * infos present, remark length, and the payee's name - RSA-OAEP encrypted with the platform key named by
 * Wechatpay-Serial, required from 2,000 yuan - decrypted like the real gateway would.
 */
import { constants, privateDecrypt, randomUUID } from 'node:crypto';
import { randomAlnum, type SandboxCredentials } from '../credentials';
import { corruptSignature, type GatewayContext, type GatewayRequest } from '../context';
import type { FaultSettings } from '../faults';
import { holdUnanswered, rfc3339China } from '../http-io';
import type { OutgoingNotification } from '../notifier';
import { aeadEncrypt } from '../protocol/crypto';
import type { SandboxTransfer } from '../state';
import { sendV3, signV3, type V3Failure } from './v3-auth';
import { encryptionKeyFor } from './platform-certs';

const OUT_BILL_NO = /^[0-9A-Za-z]{1,32}$/;
/** from this amount on WeChat wants the payee's real name (2,000 yuan) */
const NAME_REQUIRED_FEN = 200_000;
const NOT_FOUND: V3Failure = { status: 404, code: 'NOT_FOUND', message: '记录不存在' };

const param = (message: string): V3Failure => ({ status: 400, code: 'PARAM_ERROR', message });

export function v3Bill(t: SandboxTransfer): Record<string, unknown> {
  const bill: Record<string, unknown> = {
    mch_id: t.merchant_id, out_bill_no: t.out_bill_no, transfer_bill_no: t.transfer_bill_no, appid: t.app_id, state: t.state,
    transfer_amount: t.amount, transfer_remark: t.remark, openid: t.payee,
    create_time: rfc3339China(t.created_at), update_time: rfc3339China(t.updated_at),
  };
  if (t.fail_reason) bill.fail_reason = t.fail_reason;
  return bill;
}

/** Handles the transfer-bills routes; false when the path is not one of them. */
export function handleV3Transfers(ctx: GatewayContext, r: GatewayRequest, body: any, fail: (f: V3Failure) => void): boolean {
  const path = r.subPath;
  const now = ctx.now();
  let m: RegExpMatchArray | null;
  if (r.method === 'POST' && path === '/v3/fund-app/mch-transfer/transfer-bills') {
    startBill(ctx, r, body, fail);
    return true;
  }
  if (r.method === 'GET' && (m = path.match(/^\/v3\/fund-app\/mch-transfer\/transfer-bills\/out-bill-no\/([^/]+)$/))) {
    const t = ctx.payouts.get('wxpay', decodeURIComponent(m[1]));
    if (t) sendV3(r.res, ctx.creds, now, 200, v3Bill(t));
    else fail(NOT_FOUND);
    return true;
  }
  if (r.method === 'POST' && (m = path.match(/^\/v3\/fund-app\/mch-transfer\/transfer-bills\/out-bill-no\/([^/]+)\/cancel$/))) {
    const out = ctx.payouts.cancel('wxpay', decodeURIComponent(m[1]));
    if (!out.ok) fail(out.reason === 'not_found' ? NOT_FOUND : { status: 400, code: 'INVALID_REQUEST', message: '转账单据状态不允许撤销' });
    // WeChat accepts the cancel (CANCELING) and reports the end state through query and notification
    else sendV3(r.res, ctx.creds, now, 200, { out_bill_no: out.transfer.out_bill_no, transfer_bill_no: out.transfer.transfer_bill_no, state: 'CANCELING', update_time: rfc3339China(now) });
    return true;
  }
  return false;
}

function startBill(ctx: GatewayContext, r: GatewayRequest, b: any, fail: (f: V3Failure) => void): void {
  const { creds } = ctx;
  for (const f of ['appid', 'out_bill_no', 'transfer_scene_id', 'openid', 'transfer_remark']) {
    if (typeof b[f] !== 'string' || b[f] === '') return fail(param(`输入源“/body/${f}”映射到值字段“${f}”必填性规则校验失败，此字段为必填项`));
  }
  if (!Number.isSafeInteger(b.transfer_amount) || b.transfer_amount < 1) return fail(param('transfer_amount必须为大于0的整数'));
  if (!OUT_BILL_NO.test(b.out_bill_no)) return fail(param('out_bill_no格式不正确，只能由数字、大小写字母组成'));
  // an app bound to the merchant (the sandbox's apps: mini-program, official account, App), as for orders
  if (!ctx.logins.app('wxpay', b.appid)) return fail({ status: 400, code: 'INVALID_REQUEST', message: 'appid与商户号不匹配' });
  // an openid this sandbox issued under another app is refused, as WeChat checks the payee's openid against appid
  if ((ctx.logins.appOf(b.openid) ?? b.appid) !== b.appid) return fail(param('openid与appid不匹配'));
  if (!/^\d{1,16}$/.test(b.transfer_scene_id)) return fail(param('transfer_scene_id无效'));
  if ([...b.transfer_remark].length > 32) return fail(param('transfer_remark长度超过32'));
  const infos = b.transfer_scene_report_infos;
  if (!Array.isArray(infos) || infos.length === 0
    || !infos.every((i: any) => typeof i?.info_type === 'string' && i.info_type && [...i.info_type].length <= 15 && typeof i.info_content === 'string' && i.info_content && [...i.info_content].length <= 32)) {
    return fail(param('transfer_scene_report_infos不符合转账场景报备要求'));
  }
  if (b.notify_url !== undefined && (typeof b.notify_url !== 'string' || !/^https?:\/\/[^?]+$/.test(b.notify_url))) return fail(param('notify_url格式不正确'));
  let name: string | undefined;
  if (b.user_name !== undefined) {
    // the key named by Wechatpay-Serial: the public key, or in platform-cert mode one of the listed certificates
    const platformKey = encryptionKeyFor(creds, String(r.req.headers['wechatpay-serial'] ?? ''));
    if (!platformKey) return fail(param('Wechatpay-Serial与加密敏感信息使用的公钥不匹配'));
    try {
      name = privateDecrypt({ key: platformKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from(String(b.user_name), 'base64')).toString('utf8');
    } catch {
      return fail(param('user_name解密失败，请使用微信支付公钥加密'));
    }
  }
  if (b.transfer_amount >= NAME_REQUIRED_FEN && !name) return fail(param('转账金额>=2000元时，收款用户姓名必填'));
  const out = ctx.payouts.create({
    channel: 'wxpay', out_bill_no: b.out_bill_no, app_id: b.appid, merchant_id: creds.wxpay.mchId, amount: b.transfer_amount,
    payee_type: 'openid', payee: b.openid, payee_name: name, remark: b.transfer_remark, scene_id: b.transfer_scene_id,
    notify_url: b.notify_url,
  }, { waitUser: true });
  if (!out.ok) return fail({ status: 400, code: 'INVALID_REQUEST', message: '商户单号重复，且请求参数与原单据不一致' });
  if (ctx.payouts.takeTimeout('wxpay')) return holdUnanswered(r);
  const t = out.transfer;
  const answer: Record<string, unknown> = { out_bill_no: t.out_bill_no, transfer_bill_no: t.transfer_bill_no, create_time: rfc3339China(t.created_at), state: t.state };
  if (t.state === 'WAIT_USER_CONFIRM' && t.package_info) answer.package_info = t.package_info;
  if (t.fail_reason) answer.fail_reason = t.fail_reason;
  sendV3(r.res, creds, ctx.now(), 200, answer);
}

/** One delivery of MCHTRANSFER.BILL.FINISHED: the bill encrypted with the APIv3 key, signed at sending. */
export function buildV3TransferNotification(
  creds: SandboxCredentials, eventId: string, createdAt: number, t: SandboxTransfer, tamper: FaultSettings['tamper'], nowMs: number,
): OutgoingNotification {
  const resource = (shift: number) => JSON.stringify({ ...v3Bill(t), transfer_amount: t.amount + shift });
  const nonce = randomAlnum(12);
  const envelope = (plain: string) => JSON.stringify({
    id: eventId, create_time: rfc3339China(createdAt), resource_type: 'encrypt-resource', event_type: 'MCHTRANSFER.BILL.FINISHED',
    summary: '商家转账单据终态通知',
    resource: { original_type: 'mch_payment', algorithm: 'AEAD_AES_256_GCM', ciphertext: aeadEncrypt(creds.wxpay.apiV3Key, nonce, 'mch_payment', plain), associated_data: 'mch_payment', nonce },
  });
  const body = envelope(resource(0));
  const signed = signV3(creds, body, Math.floor(nowMs / 1000) - (tamper === 'timestamp' ? 600 : 0));
  if (tamper === 'signature') signed['Wechatpay-Signature'] = corruptSignature(signed['Wechatpay-Signature']);
  return {
    headers: { 'Content-Type': 'application/json', 'Request-ID': randomUUID(), 'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048', ...signed },
    body: tamper === 'amount' ? envelope(resource(1)) : body,
  };
}
