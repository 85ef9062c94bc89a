/**
 * Platform-certificate mode (legacy merchants): download `GET /v3/certificates`, decrypt each certificate with
 * the APIv3 key, and verify the answer with the certificate it names in Wechatpay-Serial (from the download
 * itself on first use, as the official SDKs bootstrap). The result feeds `verifyKeys` (merge it with any
 * `PUB_KEY_ID_...` key: both modes may be live during a migration).
 */
import { X509Certificate } from 'node:crypto';
import { SignatureError, VkPayError } from '../../../../../../../common/errors';
import { loadPrivateKey, requireString } from '../keys';
import { mapNetworkError, mapWxpayV3Error } from '../error-map';
import { clockOf, joinUrl, parseRfc3339, retrying } from '../shared';
import type { ProviderContext } from '../types';
import { WXPAY_DEFAULT_BASE_URL, type WxpayConfig, type WxpayVerifyKeyConfig } from './config';
import { createNonce, decryptAeadAes256Gcm, pickWechatpayHeaders, signV3Request, verifyV3Signed } from './signing';
import { USER_AGENT } from './transport';

interface CertificateEntry {
  serial_no?: string;
  effective_time?: string;
  expire_time?: string;
  encrypt_certificate?: { algorithm?: string; nonce?: string; associated_data?: string; ciphertext?: string };
}

/**
 * A downloaded certificate with the validity the list states: WeChat moves a certificate's listed expire_time
 * forward when it announces its successor, so the list, not the certificate's own notAfter, says which to use.
 */
export interface DownloadedPlatformCert extends WxpayVerifyKeyConfig {
  effectiveAt: number;
  expiresAt: number;
}

export async function fetchWxpayPlatformCertificates(config: Omit<WxpayConfig, 'verifyKeys'> & { verifyKeys?: WxpayVerifyKeyConfig[] }, ctx: ProviderContext): Promise<DownloadedPlatformCert[]> {
  const now = clockOf(ctx);
  const merchantKey = loadPrivateKey(config.merchant?.privateKeyPem, 'wxpay.merchant.privateKeyPem');
  const mchid = requireString(config.mchId, 'wxpay.mchId');
  const url = joinUrl(config.baseUrl ?? WXPAY_DEFAULT_BASE_URL, '/v3/certificates');
  const res = await retrying(ctx, config.retry, async ({ timeoutMs }) => {
    const authorization = signV3Request({
      method: 'GET', pathWithQuery: url.pathname + url.search, body: '', mchid, serialNo: config.merchant.serialNo,
      privateKey: merchantKey, timestamp: Math.floor(now() / 1000), nonce: createNonce(),
    });
    try {
      const r = await ctx.http({ method: 'GET', url: url.toString(), headers: { Authorization: authorization, Accept: 'application/json', 'User-Agent': USER_AGENT }, timeoutMs });
      if (r.status < 200 || r.status >= 300) throw mapWxpayV3Error(r.status, r.body);
      return r;
    } catch (err) {
      throw err instanceof VkPayError ? err : mapNetworkError('wxpay', err);
    }
  });
  let entries: CertificateEntry[];
  try {
    entries = (JSON.parse(res.body) as { data?: CertificateEntry[] }).data ?? [];
  } catch {
    throw new VkPayError(50000, 'wxpay /v3/certificates answered with a body that is not JSON');
  }
  const downloaded: DownloadedPlatformCert[] = entries.map((e) => {
    const c = e.encrypt_certificate ?? {};
    const pem = decryptAeadAes256Gcm(config.apiV3Key, c.nonce ?? '', c.associated_data ?? '', c.ciphertext ?? '');
    const serial = String(e.serial_no ?? '');
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch {
      throw new SignatureError(`downloaded platform certificate ${serial} is not a certificate`);
    }
    if (cert.serialNumber.toUpperCase() !== serial.toUpperCase()) throw new SignatureError(`platform certificate serial mismatch (${serial})`);
    const effectiveAt = parseRfc3339(e.effective_time) ?? Date.parse(cert.validFrom);
    const expiresAt = parseRfc3339(e.expire_time) ?? Date.parse(cert.validTo);
    return { serial, publicKeyPem: pem, effectiveAt, expiresAt };
  });
  const known = [...(config.verifyKeys ?? []), ...downloaded];
  verifyV3Signed(pickWechatpayHeaders(res.headers), res.body, known.map((k) => ({ serial: k.serial, key: k.publicKeyPem })), now());
  return downloaded;
}
