/** WeChat Pay v2 (legacy XML API) provider configuration. */
import { KeyConfigError } from '../../../../../../../common/errors';
import { requireString } from '../keys';
import type { RetryTuning } from '../shared';
import type { WxpayPayType } from '../types';
import type { WechatAppsConfig } from '../wxpay/login';
import type { V2SignType } from './signing';

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
  /** MWEB scene_info h5_info */
  h5Info?: { type?: 'Wap' | 'IOS' | 'Android'; wap_url?: string; wap_name?: string };
  retry?: RetryTuning;
}

export interface ResolvedWxpayV2Config {
  config: WxpayV2Config;
  baseUrl: string;
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
  return { config, baseUrl, key, signType };
}
