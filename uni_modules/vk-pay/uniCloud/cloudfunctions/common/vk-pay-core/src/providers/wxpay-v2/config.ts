/** WeChat Pay v2 (legacy XML API) provider configuration. */
import { KeyConfigError } from '../../../../../../../common/errors';
import { requireString } from '../keys';
import type { RetryTuning } from '../shared';
import type { WxpayPayType } from '../types';
import type { WechatAppsConfig } from '../wxpay/login';
import type { V2SignType } from './signing';
import { createSecureContext } from 'node:tls';
import type { ClientTls } from '../../platform/http';

export const WXPAY_V2_DEFAULT_BASE_URL = 'https://api.mch.weixin.qq.com/';

export interface WxpayV2Config extends WechatAppsConfig {
  appId: string;
  appIds?: Partial<Record<WxpayPayType, string>>;
  mchId: string;
  /** the 32-character APIv2 key */
  apiV2Key: string;
  /** default MD5 */
  signType?: V2SignType;
  /** default https://api.mch.weixin.qq.com/; may carry a path prefix (http://127.0.0.1:8787/sandbox/wxpay/) */
  baseUrl?: string;
  /**
   * The merchant's API client certificate for /secapi/ calls (refunds), mutual TLS: `apiclient_cert.p12` (a
   * Buffer, or its base64) whose passphrase is the mchId unless `clientP12Passphrase` says otherwise, or the PEM
   * pair `apiclient_key.pem` + `apiclient_cert.pem`.
   */
  clientP12?: Buffer | string;
  clientP12Passphrase?: string;
  clientKeyPem?: string;
  clientCertPem?: string;
  /** extra trust anchor for the gateway's server certificate (the sandbox's CA); WeChat's is publicly trusted */
  caPem?: string;
  /** base URL of the /secapi/ calls when they are served apart (the sandbox's HTTPS port); default baseUrl */
  secapiBaseUrl?: string;
  /** MWEB scene_info h5_info */
  h5Info?: { type?: 'Wap' | 'IOS' | 'Android'; wap_url?: string; wap_name?: string };
  retry?: RetryTuning;
}

export interface ResolvedWxpayV2Config {
  config: WxpayV2Config;
  baseUrl: string;
  secapiBaseUrl: string;
  /** the client certificate for /secapi/ calls; undefined when none is configured */
  tls?: ClientTls;
  key: string;
  signType: V2SignType;
}

export function resolveWxpayV2Config(config: WxpayV2Config): ResolvedWxpayV2Config {
  if (!config || typeof config !== 'object') throw new KeyConfigError('wxpay-v2 config missing');
  requireString(config.appId, 'wxpay.appId');
  requireString(config.mchId, 'wxpay.mchId');
  const key = requireString(config.apiV2Key, 'wxpay.apiV2Key');
  if (key.length !== 32) throw new KeyConfigError('wxpay.apiV2Key must be 32 characters');
  const signType = config.signType ?? 'MD5';
  if (signType !== 'MD5' && signType !== 'HMAC-SHA256') throw new KeyConfigError('wxpay.signType must be MD5 or HMAC-SHA256');
  const baseUrl = config.baseUrl ?? WXPAY_V2_DEFAULT_BASE_URL;
  try { new URL(baseUrl); } catch { throw new KeyConfigError('wxpay.baseUrl is not a URL'); }
  const secapiBaseUrl = config.secapiBaseUrl ?? baseUrl;
  try { new URL(secapiBaseUrl); } catch { throw new KeyConfigError('wxpay.secapiBaseUrl is not a URL'); }
  return { config, baseUrl, secapiBaseUrl, key, signType, tls: resolveClientTls(config) };
}

/**
 * The client certificate, checked now rather than at the first refund: the PKCS#12 must open with its passphrase
 * (the mchId by default), the PEM key must match its certificate. A wrong one is 40003 naming the field.
 * OpenSSL 3 (Node 17+) refuses the RC2-encrypted PKCS#12 files older WeChat downloads contain; the PEM pair from
 * the same download works everywhere.
 */
function resolveClientTls(config: WxpayV2Config): ClientTls | undefined {
  const ca = config.caPem;
  if (config.clientP12 !== undefined) {
    const pfx = Buffer.isBuffer(config.clientP12) ? config.clientP12 : Buffer.from(String(config.clientP12), 'base64');
    if (pfx.length === 0) throw new KeyConfigError('wxpay.clientP12 is empty');
    const passphrase = config.clientP12Passphrase ?? config.mchId;
    try {
      createSecureContext({ pfx, passphrase });
    } catch (err) {
      const why = /mac verify|bad decrypt|invalid password/i.test((err as Error).message) ? 'the passphrase does not open it (WeChat\'s is the mchId)' : `not a PKCS#12 this runtime can read (${(err as Error).message.slice(0, 80)}); use clientKeyPem + clientCertPem`;
      throw new KeyConfigError(`wxpay.clientP12: ${why}`);
    }
    return { pfx, passphrase, ca };
  }
  if (config.clientKeyPem !== undefined || config.clientCertPem !== undefined) {
    const key = requireString(config.clientKeyPem, 'wxpay.clientKeyPem');
    const cert = requireString(config.clientCertPem, 'wxpay.clientCertPem');
    try {
      createSecureContext({ key, cert });
    } catch (err) {
      throw new KeyConfigError(`wxpay.clientKeyPem / clientCertPem: ${(err as Error).message.slice(0, 80)}`);
    }
    return { key, cert, ca };
  }
  return undefined;
}
