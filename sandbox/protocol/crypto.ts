/**
 * The gateway side of the three protocols' cryptography. The message builders and primitives are the
 * providers' own pure signing modules (one implementation for both sides of the wire); this file only adapts
 * them to PEM text with cached KeyObjects, which is what the sandbox holds.
 */
import { loadPrivateKey, loadPublicKey } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/keys';
import {
  buildV3RequestMessage, buildV3ResponseMessage, encryptAeadAes256Gcm, signSha256Rsa, verifySha256Rsa,
} from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay/signing';
import { encryptReqInfo, signV2, verifyV2, type V2SignType } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-v2/signing';
import { buildAlipaySignContent } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/alipay/signing';

export type { V2SignType };

/** SHA256withRSA (PKCS#1 v1.5), base64: WeChat v3 and Alipay RSA2 alike. */
export function rsaSign(message: string, privateKeyPem: string): string {
  return signSha256Rsa(message, loadPrivateKey(privateKeyPem, 'sandbox private key'));
}

/** False on any mismatch or malformed signature (and on WeChat's SIGNTEST probes). */
export function rsaVerify(message: string, signatureB64: string, publicKeyPem: string): boolean {
  return verifySha256Rsa(message, signatureB64, loadPublicKey(publicKeyPem, 'sandbox public key'));
}

export const v3RequestMessage = (method: string, canonicalUrl: string, timestamp: string, nonce: string, body: string): string =>
  buildV3RequestMessage(method, canonicalUrl, timestamp, nonce, body);

export const v3ResponseMessage = (timestamp: string, nonce: string, body: string): string => buildV3ResponseMessage(timestamp, nonce, body);

/** AEAD_AES_256_GCM as WeChat v3 notifications use it: base64(ciphertext || 16-byte tag). */
export const aeadEncrypt = (apiV3Key: string, nonce: string, associatedData: string, plaintext: string): string =>
  encryptAeadAes256Gcm(apiV3Key, nonce, associatedData, plaintext);

/** WeChat v2 MD5 / HMAC-SHA256 over the sorted non-empty params plus &key=. */
export const v2Sign = (params: Record<string, string | number | undefined>, apiV2Key: string, signType: V2SignType): string =>
  signV2(params, apiV2Key, signType);

export const v2SignMatches = (params: Record<string, string | number | undefined>, apiV2Key: string, signType: V2SignType): boolean =>
  verifyV2(params, apiV2Key, signType);

/** WeChat v2 refund notification req_info: AES-256-ECB (PKCS#7) keyed by the lower-case hex MD5 of the API key. */
export const v2EncryptReqInfo = (plaintext: string, apiV2Key: string): string => encryptReqInfo(plaintext, apiV2Key);

/**
 * Alipay sign content: every parameter except the excluded ones, empty values dropped, ASCII-sorted,
 * `k=v` joined with & over raw values. Requests exclude `sign`; notifications `sign` and `sign_type`.
 */
export const alipaySignContent = (params: Record<string, string>, exclude: readonly string[]): string =>
  buildAlipaySignContent(params, exclude);
