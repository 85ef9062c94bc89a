/** Config sections for the sandbox's further merchants (credentials.ts `wxpayMerchants`), shared by the merchant tests. */
import type { SandboxCredentials } from '../../../sandbox/credentials';

/** The sandbox's service provider and its sub-merchant `i`, as a merchant section of the config. */
export function partnerSection(creds: SandboxCredentials, i = 0, withSubApp = true) {
  const sp = creds.wxpayMerchants[1];
  const sub = sp.subMerchants![i];
  return {
    sp_mchid: sp.mchId, sp_appid: sp.appId, sub_mchid: sub.mchId, ...(withSubApp ? { sub_appid: sub.appId, sub_appsecret: sub.appSecret } : {}),
    appSecret: sp.appSecret, apiV3Key: sp.apiV3Key, merchant: sp.merchant, platform: sp.platform,
  };
}

