/** Gateway-side helpers for the WeChat v3 tests: verify the request like WeChat does, sign answers and notifications. */
import { randomBytes } from 'node:crypto';
import {
  buildV3RequestMessage, encryptAeadAes256Gcm, parseAuthorization, signV3Response, verifySha256Rsa,
} from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';
import type { FixtureAnswer, SeenRequest } from './gateway-fixture';
import { rsaPair } from './gateway-fixture';

export const MCHID = '1900000109';
export const APPID = 'wx8888888888888888';
export const API_V3_KEY = 'a'.repeat(16) + 'B'.repeat(16);
export const MERCHANT_SERIAL = '3775B6A45ACD588826D15E583A95F5DD';
export const PUB_KEY_ID = 'PUB_KEY_ID_0114232134912410000000000000';

export const merchant = rsaPair();
export const platform = rsaPair();

/** True when the request's Authorization verifies over the exact method, path+query and body received. */
export function requestVerifies(req: SeenRequest): boolean {
  const auth = parseAuthorization(req.headers.authorization ?? '');
  if (!auth || auth.mchid !== MCHID || auth.serialNo !== MERCHANT_SERIAL) return false;
  return verifySha256Rsa(buildV3RequestMessage(req.method, req.url, auth.timestamp, auth.nonce, req.body), auth.signature, merchant.publicKeyPem);
}

export function signedAnswer(status: number, body: string, opts: { serial?: string; key?: string; timestamp?: number } = {}): FixtureAnswer {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = randomBytes(8).toString('hex');
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': String(ts),
      'wechatpay-nonce': nonce,
      'wechatpay-serial': opts.serial ?? PUB_KEY_ID,
      'wechatpay-signature': signV3Response(body, opts.key ?? platform.privateKeyPem, ts, nonce),
      'request-id': 'req-1',
    },
    body,
  };
}

export function errorAnswer(status: number, code: string, message: string): FixtureAnswer {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code, message }) };
}

/** A notification as WeChat sends it: encrypted resource, signed raw body, lower-cased headers. */
export function notification(eventType: string, resource: object, opts: { id?: string; serial?: string; key?: string; timestamp?: number; apiV3Key?: string } = {}) {
  const nonce = randomBytes(6).toString('hex');
  const body = JSON.stringify({
    id: opts.id ?? 'EV-2018-0001', create_time: '2018-06-08T10:34:56+08:00', resource_type: 'encrypt-resource', event_type: eventType, summary: 'ok',
    resource: {
      original_type: eventType.startsWith('REFUND') ? 'refund' : 'transaction', algorithm: 'AEAD_AES_256_GCM',
      ciphertext: encryptAeadAes256Gcm(opts.apiV3Key ?? API_V3_KEY, nonce, 'transaction', JSON.stringify(resource)), associated_data: 'transaction', nonce,
    },
  });
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const hNonce = randomBytes(8).toString('hex');
  return {
    rawBody: body,
    headers: {
      'wechatpay-timestamp': String(ts), 'wechatpay-nonce': hNonce, 'wechatpay-serial': opts.serial ?? PUB_KEY_ID,
      'wechatpay-signature': signV3Response(body, opts.key ?? platform.privateKeyPem, ts, hNonce), 'content-type': 'application/json',
    } as Record<string, string>,
  };
}
