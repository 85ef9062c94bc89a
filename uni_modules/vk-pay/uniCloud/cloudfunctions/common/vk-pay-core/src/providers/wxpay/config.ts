/**
 * WeChat Pay v3 provider configuration, and its conversion into parsed keys. Both key modes are accepted at once:
 * WeChat Pay public keys (serial `PUB_KEY_ID_...`) and platform certificates (hex serial, PEM certificate or
 * public key); several keys per merchant during rotation. The one matching `Wechatpay-Serial` verifies.
 */
import type { KeyObject } from 'node:crypto';
import { KeyConfigError } from '../../../../../../../common/errors';
import { loadPrivateKey, loadPublicKey, requireString } from '../keys';
import type { RetryTuning } from '../shared';
import type { ProviderContext, WxpayPayType } from '../types';
import type { WechatAppsConfig } from './login';
import type { VerificationKey } from './signing';
import { createPlatformCertStore, type PlatformCertOptions, type PlatformCertStore } from './platform-cert-store';
import type { WxpayPartnerIds } from './partner';

export const WXPAY_DEFAULT_BASE_URL = 'https://api.mch.weixin.qq.com/';

export interface WxpayVerifyKeyConfig {
  /** `PUB_KEY_ID_...` (public-key mode) or the platform certificate's hex serial */
  serial: string;
  /** public key PEM, or the platform certificate PEM */
  publicKeyPem: string;
}

/** Partner mode (partner.ts): sp_mchid/sp_appid/sub_mchid(/sub_appid) set; mchId/appId are then the sp_* ones. */
export interface WxpayConfig extends WechatAppsConfig, Partial<WxpayPartnerIds> {
  /** partner mode: the AppSecret of sub_appid (its payers' login codes) */
  sub_appsecret?: string;
  appId: string;
  /** when the mini program / official account / mobile app use different appids, per pay_type */
  appIds?: Partial<Record<WxpayPayType, string>>;
  mchId: string;
  /** 32 characters */
  apiV3Key: string;
  merchant: { serialNo: string; privateKeyPem: string };
  verifyKeys?: WxpayVerifyKeyConfig[];
  /**
   * platform-certificate mode: download the certificates from /v3/certificates (decrypted with apiV3Key) and
   * keep them current (platform-cert-store.ts); may stand alone or beside verifyKeys / platform
   */
  platformCertificates?: boolean | PlatformCertOptions;
  /** docs/CONTRACTS.md section 12: `platform.publicKeyId` + `platform.publicKeyPem`, added to verifyKeys */
  platform?: { publicKeyId: string; publicKeyPem: string };
  /** default https://api.mch.weixin.qq.com/; may carry a path prefix (http://127.0.0.1:8787/sandbox/wxpay/) */
  baseUrl?: string;
  /** H5 scene_info.h5_info; type defaults to Wap */
  h5Info?: { type?: 'Wap' | 'iOS' | 'Android'; app_name?: string; app_url?: string; bundle_id?: string; package_name?: string };
  retry?: RetryTuning;
}

export interface ResolvedWxpayConfig {
  config: WxpayConfig;
  baseUrl: string;
  merchantKey: KeyObject;
  verifyKeys: VerificationKey[];
  /** sent as the Wechatpay-Serial request header in public-key mode (official samples do) */
  publicKeyId: string | undefined;
  /** platform-certificate mode: the downloaded certificates (verify with verificationKeysFor) */
  certStore?: PlatformCertStore;
}

export function resolveWxpayConfig(config: WxpayConfig, ctx?: ProviderContext): ResolvedWxpayConfig {
  if (!config || typeof config !== 'object') throw new KeyConfigError('wxpay config missing');
  requireString(config.appId, 'wxpay.appId');
  requireString(config.mchId, 'wxpay.mchId');
  const v3 = requireString(config.apiV3Key, 'wxpay.apiV3Key');
  if (Buffer.byteLength(v3, 'utf8') !== 32) throw new KeyConfigError('wxpay.apiV3Key must be 32 bytes');
  requireString(config.merchant?.serialNo, 'wxpay.merchant.serialNo');
  const merchantKey = loadPrivateKey(config.merchant?.privateKeyPem, 'wxpay.merchant.privateKeyPem');
  const entries: WxpayVerifyKeyConfig[] = [...(config.verifyKeys ?? [])];
  if (config.platform) entries.push({ serial: config.platform.publicKeyId, publicKeyPem: config.platform.publicKeyPem });
  const certMode = Boolean(config.platformCertificates);
  if (entries.length === 0 && !certMode) throw new KeyConfigError('wxpay.verifyKeys is empty: add the WeChat Pay public key (PUB_KEY_ID_...) or platform certificates');
  const verifyKeys = entries.map((k, i) => ({
    serial: requireString(k?.serial, `wxpay.verifyKeys[${i}].serial`),
    key: loadPublicKey(k?.publicKeyPem, `wxpay.verifyKeys[${i}].publicKeyPem`),
  }));
  const baseUrl = config.baseUrl ?? WXPAY_DEFAULT_BASE_URL;
  try { new URL(baseUrl); } catch { throw new KeyConfigError('wxpay.baseUrl is not a URL'); }
  const certStore = certMode && ctx ? createPlatformCertStore(config, ctx, typeof config.platformCertificates === 'object' ? config.platformCertificates : {}) : undefined;
  return { config, baseUrl, merchantKey, verifyKeys, publicKeyId: verifyKeys.find((k) => k.serial.startsWith('PUB_KEY_ID_'))?.serial, certStore };
}
