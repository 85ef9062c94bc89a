/** Alipay provider configuration (public-key mode, RSA2) and its parsed keys. */
import type { KeyObject } from 'node:crypto';
import { KeyConfigError } from '../../../../../../../common/errors';
import { loadPrivateKey, loadPublicKey, requireString } from '../keys';
import { alipayCertSn, alipayRootCertSn } from './cert';
import type { AlipayCertStore } from './cert-store';
import type { RetryTuning } from '../shared';

export const ALIPAY_DEFAULT_GATEWAY = 'https://openapi.alipay.com/gateway.do';

export interface AlipayConfig {
  appId: string;
  /** the merchant's 2088... PID; notifications are bound to it */
  sellerId?: string;
  /** PEM, or the bare base64 (PKCS#8 or PKCS#1) the Alipay key tool emits */
  appPrivateKeyPem: string;
  /** PEM, or bare base64 SPKI (public-key mode; in certificate mode alipayCertPem replaces it) */
  alipayPublicKeyPem?: string;
  /** certificate mode: appCertPublicKey_<appId>.crt, alipayCertPublicKey_RSA2.crt and alipayRootCert.crt (PEM text) */
  appCertPem?: string;
  alipayCertPem?: string;
  alipayRootCertPem?: string;
  /** default https://openapi.alipay.com/gateway.do; e.g. http://127.0.0.1:8787/sandbox/alipay/gateway.do */
  gatewayUrl?: string;
  /** op_app_id for alipay.trade.create when the mini program differs from appId (third-party app mode: authAppId by default) */
  mpAppId?: string;
  /** third-party app mode: the merchant's authorisation, sent as `app_auth_token` with every call */
  appAuthToken?: string;
  /** third-party app mode: the authorising merchant's app, which notifications name as auth_app_id */
  authAppId?: string;
  retry?: RetryTuning;
}

export interface ResolvedAlipayConfig {
  config: AlipayConfig;
  gatewayUrl: string;
  appKey: KeyObject;
  alipayKey: KeyObject;
  /** set in certificate mode: sent (and signed) with every request */
  certSns?: { app_cert_sn: string; alipay_root_cert_sn: string };
  /** certificate mode: the SN of alipayCertPem, which answers name in alipay_cert_sn */
  alipayCertSn?: string;
  /** certificate mode: the configured Alipay certificate and those downloaded since (set by the provider) */
  certStore?: AlipayCertStore;
}

export function resolveAlipayConfig(config: AlipayConfig): ResolvedAlipayConfig {
  if (!config || typeof config !== 'object') throw new KeyConfigError('alipay config missing');
  requireString(config.appId, 'alipay.appId');
  const appKey = loadPrivateKey(config.appPrivateKeyPem, 'alipay.appPrivateKeyPem');
  const certMode = Boolean(config.appCertPem || config.alipayCertPem || config.alipayRootCertPem);
  let alipayKey: KeyObject;
  let certSns: ResolvedAlipayConfig['certSns'];
  let alipayCertSnValue: string | undefined;
  if (certMode) {
    alipayKey = loadPublicKey(requireString(config.alipayCertPem, 'alipay.alipayCertPem'), 'alipay.alipayCertPem');
    certSns = {
      app_cert_sn: alipayCertSn(requireString(config.appCertPem, 'alipay.appCertPem'), 'alipay.appCertPem'),
      alipay_root_cert_sn: alipayRootCertSn(requireString(config.alipayRootCertPem, 'alipay.alipayRootCertPem'), 'alipay.alipayRootCertPem'),
    };
    alipayCertSnValue = alipayCertSn(config.alipayCertPem as string, 'alipay.alipayCertPem');
  } else {
    alipayKey = loadPublicKey(config.alipayPublicKeyPem, 'alipay.alipayPublicKeyPem');
  }
  const gatewayUrl = config.gatewayUrl ?? ALIPAY_DEFAULT_GATEWAY;
  try { new URL(gatewayUrl); } catch { throw new KeyConfigError('alipay.gatewayUrl is not a URL'); }
  return { config, gatewayUrl, appKey, alipayKey, certSns, alipayCertSn: alipayCertSnValue };
}
