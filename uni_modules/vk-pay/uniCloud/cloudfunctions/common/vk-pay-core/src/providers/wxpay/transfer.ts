/**
 * WeChat Pay v3 merchant transfers (docs/PROTOCOLS.md section 10.1): start a bill with the payee's confirmation,
 * query and cancel it by out_bill_no, and verify MCHTRANSFER.BILL.FINISHED. The payee's real name is encrypted
 * with the WeChat Pay public key (RSA-OAEP) whose id the transport sends as Wechatpay-Serial.
 */
import { constants, publicEncrypt } from 'node:crypto';
import { KeyConfigError, ParamError, VkPayError } from '../../../../../../../common/errors';
import { hasProviderCode } from '../error-map';
import { parseRfc3339 } from '../shared';
import type { IncomingNotification, PaymentProvider, TransferInput, TransferNotification, TransferResult } from '../types';
import type { ResolvedWxpayConfig } from './config';
import { decryptAeadAes256Gcm, pickWechatpayHeaders, verifyV3Signed } from './signing';
import { verificationKeysFor } from './platform-cert-store';
import type { WxpayCall } from './transport';

const STATES: Record<string, TransferResult['state']> = {
  ACCEPTED: 'accepted', PROCESSING: 'accepted', TRANSFERING: 'accepted', CANCELING: 'accepted',
  WAIT_USER_CONFIRM: 'waiting_user', SUCCESS: 'succeeded', FAIL: 'failed', CANCELLED: 'cancelled',
};
const BILLS = '/v3/fund-app/mch-transfer/transfer-bills';

function json(text: string, what: string): Record<string, any> {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object') return v as Record<string, any>;
  } catch { /* below */ }
  throw new VkPayError(50000, `wxpay ${what} is not a JSON object`);
}

export function createWxpayTransfers(r: ResolvedWxpayConfig, call: WxpayCall, now: () => number): Required<Pick<PaymentProvider, 'transfer' | 'queryTransfer' | 'cancelTransfer' | 'verifyTransferNotification'>> {
  const config = r.config;
  // the payee's openid belongs to the mini program (the app that can open the confirmation page)
  const appId = config.appIds?.mp ?? config.appId;

  function result(b: Record<string, any>, fallback: string): TransferResult {
    const word = String(b.state ?? '');
    const out: TransferResult = { state: STATES[word] ?? 'accepted', out_bill_no: String(b.out_bill_no ?? fallback), provider_state: word || undefined };
    if (b.transfer_bill_no) out.transfer_bill_no = String(b.transfer_bill_no);
    if (Number.isSafeInteger(b.transfer_amount)) out.amount = b.transfer_amount;
    if (word === 'WAIT_USER_CONFIRM' && b.package_info) out.confirm = { mchId: config.mchId, appId, package: String(b.package_info) };
    if (b.fail_reason) out.fail_reason = String(b.fail_reason).slice(0, 120);
    if (word === 'SUCCESS') out.success_at = parseRfc3339(b.update_time) ?? now();
    return out;
  }

  /** The payee name, RSA-OAEP encrypted with the WeChat Pay public key, else the newest platform certificate. */
  async function encryptName(name: string): Promise<{ cipher: string; serial: string }> {
    let platform = r.verifyKeys.find((k) => k.serial === r.publicKeyId);
    if (!platform && r.certStore) platform = await r.certStore.encryptionKey();
    if (!platform) throw new KeyConfigError('wxpay: the payee name is encrypted with the WeChat Pay public key (platform.publicKeyId / PUB_KEY_ID_...) or a platform certificate (platformCertificates), which this config has neither of');
    const cipher = publicEncrypt({ key: platform.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(name, 'utf8')).toString('base64');
    return { cipher, serial: platform.serial };
  }

  return {
    async transfer(input: TransferInput) {
      if (input.payee.identity_type !== 'openid') throw new ParamError('wxpay pays out to an openid');
      if (!input.scene_id) throw new ParamError('wxpay transfers need a transfer scene: set transfers.sceneId in the config or send scene_id');
      if (!input.scene_report_infos?.length) throw new ParamError('wxpay transfers need the scene report infos: set transfers.sceneReportInfos or send scene_report_infos');
      const body: Record<string, unknown> = {
        appid: appId, out_bill_no: input.out_bill_no, transfer_scene_id: input.scene_id, openid: input.payee.identity,
        transfer_amount: input.amount, transfer_remark: input.remark, transfer_scene_report_infos: input.scene_report_infos,
      };
      const name = input.payee.name ? await encryptName(input.payee.name) : undefined;
      if (name) body.user_name = name.cipher;
      if (input.notify_url) body.notify_url = input.notify_url;
      const res = await call('POST', BILLS, body, name ? { serial: name.serial } : undefined);
      return result(json(res.body, 'transfer answer'), input.out_bill_no);
    },

    async queryTransfer(outBillNo: string) {
      try {
        const res = await call('GET', `${BILLS}/out-bill-no/${encodeURIComponent(outBillNo)}`);
        return result(json(res.body, 'transfer bill'), outBillNo);
      } catch (err) {
        if (hasProviderCode(err, 'NOT_FOUND')) return { state: 'not_found', out_bill_no: outBillNo, provider_state: 'NOT_FOUND' };
        throw err;
      }
    },

    async cancelTransfer(outBillNo: string) {
      const res = await call('POST', `${BILLS}/out-bill-no/${encodeURIComponent(outBillNo)}/cancel`);
      return result(json(res.body, 'cancel answer'), outBillNo);
    },

    async verifyTransferNotification(req: IncomingNotification): Promise<TransferNotification> {
      const signed = pickWechatpayHeaders(req.headers);
      verifyV3Signed(signed, req.rawBody, await verificationKeysFor(r, signed), now());
      let env: Record<string, any>;
      try { env = json(req.rawBody, 'notification'); } catch { throw new ParamError('notification body is not JSON'); }
      if (env.event_type !== 'MCHTRANSFER.BILL.FINISHED') throw new ParamError(`event_type ${String(env.event_type).slice(0, 40)} is not a transfer notification`);
      const res = env.resource ?? {};
      if (res.algorithm !== 'AEAD_AES_256_GCM' || typeof env.id !== 'string' || !env.id) throw new ParamError('transfer notification without id or AEAD_AES_256_GCM resource');
      const data = json(decryptAeadAes256Gcm(config.apiV3Key, res.nonce ?? '', res.associated_data ?? '', res.ciphertext ?? ''), 'decrypted resource');
      if (typeof data.out_bill_no !== 'string' || !data.out_bill_no) throw new ParamError('transfer notification without out_bill_no');
      return {
        event_id: env.id, result: result(data, data.out_bill_no), merchant: { merchant_id: data.mch_id },
        raw: { id: env.id, create_time: env.create_time, event_type: env.event_type, resource: { ...data, openid: undefined } },
      };
    },
  };
}
