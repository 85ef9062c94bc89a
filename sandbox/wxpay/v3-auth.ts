/**
 * WeChat Pay v3 request authentication and response signing, as api.mch.weixin.qq.com does it
 * (docs/PROTOCOLS.md section 2). The canonical URL is the path + query exactly as received, so a client whose base
 * URL is http://host/sandbox/wxpay/ signs `/sandbox/wxpay/v3/...` and that is what gets verified.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { randomAlnum, type SandboxCredentials } from '../credentials';
import { send } from '../http-io';
import { rsaSign, rsaVerify, v3RequestMessage, v3ResponseMessage } from '../protocol/crypto';
import { v3Signer } from './platform-certs';
import { parseAuthorization } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';

/** The gateway refuses requests whose timestamp is more than five minutes off. */
const MAX_SKEW_S = 300;

export interface V3Failure {
  status: number;
  code: string;
  message: string;
  detail?: unknown;
}

/** Checks the Authorization header of a request; undefined means it is authentic. */
export function verifyV3Request(
  creds: SandboxCredentials, method: string, rawUrl: string, rawBody: string,
  authorization: string | undefined, nowMs: number,
): V3Failure | undefined {
  const auth = authorization ? parseAuthorization(authorization) : null;
  const formatError: V3Failure = {
    status: 401, code: 'SIGN_ERROR',
    message: 'Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》',
  };
  if (!auth) return formatError;
  if (auth.mchid !== creds.wxpay.mchId) {
    return { status: 400, code: 'MCH_NOT_EXISTS', message: '商户号不存在' };
  }
  if (auth.serialNo.toUpperCase() !== creds.wxpay.merchant.serialNo.toUpperCase()) {
    return { status: 401, code: 'SIGN_ERROR', message: '商户证书序列号有误。请使用签名私钥匹配的证书序列号' };
  }
  const ts = String(auth.timestamp);
  if (!/^\d{1,12}$/.test(ts) || Math.abs(Number(ts) - Math.floor(nowMs / 1000)) > MAX_SKEW_S) {
    return { status: 401, code: 'SIGN_ERROR', message: 'Http头Authorization中的timestamp与服务器时间相差超过5分钟，请检查本机时间' };
  }
  const message = v3RequestMessage(method, rawUrl, ts, auth.nonce, rawBody);
  if (!rsaVerify(message, auth.signature, creds.wxpay.merchant.publicKeyPem)) {
    return {
      status: 401, code: 'SIGN_ERROR', message: '签名错误，请检查后再试',
      detail: {
        detail: { issue: 'sign not match' }, field: 'signature', location: 'authorization',
        sign_information: {
          method, url: rawUrl, sign_message_length: Buffer.byteLength(message),
          truncated_sign_message: message.slice(0, 64), request_timestamp: ts, request_nonce_str: auth.nonce,
        },
      },
    };
  }
  return undefined;
}

export interface SignedHeaders {
  'Wechatpay-Nonce': string;
  'Wechatpay-Signature': string;
  'Wechatpay-Timestamp': string;
  'Wechatpay-Serial': string;
}

/**
 * Signs `timestamp\nnonce\nbody\n` with the merchant's platform key: the WeChat Pay public key's (serial
 * PUB_KEY_ID_...) or, in platform-certificate mode, the current platform certificate's (hex serial).
 */
export function signV3(creds: SandboxCredentials, body: string, timestampS: number): SignedHeaders {
  const nonce = randomAlnum(32);
  const ts = String(timestampS);
  const signer = v3Signer(creds);
  return {
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Signature': rsaSign(v3ResponseMessage(ts, nonce, body), signer.privateKeyPem),
    'Wechatpay-Timestamp': ts,
    'Wechatpay-Serial': signer.serial,
  };
}

/** Every v3 answer, errors included, is signed; 204 answers sign the empty body. */
export function sendV3(res: ServerResponse, creds: SandboxCredentials, nowMs: number, status: number, value?: unknown): void {
  const body = value === undefined ? '' : JSON.stringify(value);
  const headers: Record<string, string> = { 'Request-ID': randomUUID(), ...signV3(creds, body, Math.floor(nowMs / 1000)) };
  if (body) headers['Content-Type'] = 'application/json; charset=utf-8';
  send(res, status, headers, body);
}

export function sendV3Error(res: ServerResponse, creds: SandboxCredentials, nowMs: number, f: V3Failure): void {
  sendV3(res, creds, nowMs, f.status, f.detail === undefined ? { code: f.code, message: f.message } : { code: f.code, message: f.message, detail: f.detail });
}
