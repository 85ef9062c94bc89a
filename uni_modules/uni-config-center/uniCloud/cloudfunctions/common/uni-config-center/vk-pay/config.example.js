// A PRODUCTION vk-pay config: uni_modules/uni-config-center/uniCloud/cloudfunctions/common/uni-config-center/vk-pay/config.js.
// It needs nothing but Node's own modules: uni-config-center loads it, and vk-pay-core is not its dependency.
// Placeholders only: put your real keys in your copy, never in git. Validated at the first call; every wrong
// or missing field is named in the error. Outside `env: 'sandbox'` the notify URL must be public https
// (no http, localhost, private or link-local addresses, no query string).
'use strict';
const fs = require('fs');
const path = require('path');

// Keys live as PEM files beside this config (uni-config-center uploads its whole folder, as uni-pay does with
// its certificates), so they stay out of the code; add the keys/ folder to your .gitignore.
const key = (file) => fs.readFileSync(path.join(__dirname, 'keys', file), 'utf8');

module.exports = {
  env: 'production',
  // The URL-ized path of the vk-pay-notify cloud function; `/<channel>` (wxpay | wxpay-v2 | alipay | appleiap | wxpay-virtual) is appended.
  notifyUrl: 'https://fc-mp-xxxxxxxx.next.bspapp.com/http/vk-pay-notify',
  returnUrl: 'https://www.example.com/#/pages/result/result',
  providers: {
    // WeChat Pay API v3 (public-key mode). Add `verifyKeys: [{ serial, publicKeyPem }, ...]` during a rotation.
    // Platform-certificate mode (older merchants): leave out `platform` and set `platformCertificates: true`; the
    // certificates are downloaded from /v3/certificates and followed through WeChat's changes of certificate.
    wxpay: {
      appId: 'wx0000000000000000',
      mchId: '1900000000',
      apiV3Key: 'REPLACE_WITH_32_CHAR_API_V3_KEY_',
      merchant: { serialNo: 'REPLACE_WITH_MERCHANT_CERT_SERIAL', privateKeyPem: key('wxpay_apiclient_key.pem') },
      platform: { publicKeyId: 'PUB_KEY_ID_REPLACE', publicKeyPem: key('wxpay_pub_key.pem') },
      baseUrl: 'https://api.mch.weixin.qq.com/',
      // Login codes -> openid (getOpenid, for mp and jsapi): the AppSecret of appId, and when the mini program or the
      // official account has an appid of its own under this mchId, that appid and its secret per pay_type.
      appSecret: 'REPLACE_WITH_APP_SECRET',
      appIds: { mp: 'wx1111111111111111', jsapi: 'wx2222222222222222' },
      appSecrets: { mp: 'REPLACE_WITH_MINI_PROGRAM_APP_SECRET', jsapi: 'REPLACE_WITH_OFFICIAL_ACCOUNT_APP_SECRET' },
      // Further merchants of this channel, written as the fields that differ (this section is the merchant 'default'),
      // and the rule that picks one per order (order type -> merchant name, or a function of the order).
      // merchants: { shop2: { mchId: '1900000001', apiV3Key: '...', merchant: { serialNo: '...', privateKeyPem: key('shop2_key.pem') }, platform: { ... } } },
      // merchantFor: { vip: 'shop2' },
    },
    // WeChat Pay API v2 (only if you set wxpayChannel: 'wxpay-v2')
    // 'wxpay-v2': { appId: 'wx...', mchId: '19...', apiV2Key: 'REPLACE_WITH_32_CHAR_API_V2_KEY_', clientCertPem: '...', clientKeyPem: '...' },
    alipay: {
      appId: '2021000000000000',
      sellerId: '2088000000000000',
      app: { privateKeyPem: key('alipay_app_private_key.pem') },
      alipay: { publicKeyPem: key('alipay_public_key.pem') },
      // Certificate mode instead of `alipay.publicKeyPem`: the three files from the open platform, as PEM text.
      // appCertPem: key('appCertPublicKey_2021000000000000.crt'), alipayCertPem: key('alipayCertPublicKey_RSA2.crt'),
      // alipayRootCertPem: key('alipayRootCert.crt'),
      gatewayUrl: 'https://openapi.alipay.com/gateway.do',
    },
    // App Store in-app purchase (iOS App, pay_type 'app'): catalog items name their product as `appleProductId`.
    appleiap: {
      bundleId: 'com.example.app',
      environments: ['Production', 'Sandbox'], // Sandbox too: App Review buys with sandbox accounts
      // Apple Root CA - G3 from https://www.apple.com/certificateauthority/ (converted to PEM)
      rootCertificates: [key('AppleRootCA-G3.pem')],
      // optional: look purchases up by transaction id (App Store Connect > Users and Access > In-App Purchase key)
      serverApi: { issuerId: '00000000-0000-0000-0000-000000000000', keyId: 'REPLACEKEY', privateKeyPem: key('apple_iap_key.p8') },
      // optional: legacy app receipts (/verifyReceipt) with the app-specific shared secret
      receipt: { sharedSecret: 'REPLACE_WITH_APP_SPECIFIC_SHARED_SECRET' },
    },
    // WeChat mini-program virtual payment (uni.requestVirtualPayment; provider 'wxpay-virtual', pay_type 'mp').
    // env 0 signs with appKey (production), env 1 with sandboxAppKey: WeChat issues one AppKey per environment.
    // token / encodingAESKey: the mini program's message push settings (safe mode, JSON); the push URL is
    // notifyUrl + '/wxpay-virtual'. Catalog items name wxVirtualProductId (goods) or wxVirtualCoins (coins).
    'wxpay-virtual': {
      appId: 'wx1111111111111111',
      appSecret: 'REPLACE_WITH_MINI_PROGRAM_APP_SECRET',
      offerId: '1450000000',
      env: 0,
      appKey: 'REPLACE_WITH_PRODUCTION_APP_KEY',
      sandboxAppKey: 'REPLACE_WITH_SANDBOX_APP_KEY',
      token: 'REPLACEWITHTOKEN',
      encodingAESKey: 'REPLACEWITH43LETTERSANDDIGITSOFTHEPUSHAESKE',
      coinPrice: 10,
    },
  },
  wxpayChannel: 'wxpay',
  orderTypes: {
    recharge: { amount: 'client', min: 100, max: 500000, subject: '账户充值' },
    goods: { amount: 'catalog', catalog: { 'sku-001': { amount: 1990, subject: '商品 A' } } },
    vip: { amount: 'catalog', catalog: { month: { amount: 1500, subject: 'VIP 月卡' } } },
    // virtual goods and coins sold through wxpay-virtual: the console's product id, or the number of coins
    episode: { amount: 'catalog', catalog: { 'ep-01': { amount: 990, subject: '第 1 集', wxVirtualProductId: 'ep01' } } },
    coins: { amount: 'catalog', catalog: { c60: { amount: 600, subject: '60 金币', appleProductId: 'com.example.app.coins60', wxVirtualCoins: 60 } } },
    // any rule of your own: return the amount (fen) and subject decided on the server
    custom: { amount: 'custom', resolve: async ({ goods_id, user_id }) => ({ amount: 100, subject: '自定义 ' + goods_id }) },
  },
  maxAmount: 1000000,          // fen: 10,000.00 yuan
  ttlMs: 2 * 60 * 60 * 1000,   // unpaid orders expire after 2 h (sent as time_expire)
  rateLimit: { perMinute: 10 },
  hooks: { maxAttempts: 8 },
  alerts: {
    webhooks: [
      { kind: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=REPLACE', secret: 'REPLACE', msgtype: 'markdown' },
      // { kind: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=REPLACE', msgtype: 'markdown', mentioned_mobile_list: ['138...'] },
      // { kind: 'generic', url: 'https://ops.example.com/vk-pay-alerts' },
    ],
    // defaults shown; each alert kind is delivered at most once per windowMs
    thresholds: { errorRate: 0.1, errorWindowMs: 5 * 60_000, successRate: 0.95, notifyLateMs: 30_000, refundSuccessRate: 0.9, windowMs: 10 * 60_000 },
  },
  // the vk-pay-sync timer (defaults shown): stop new work after budgetMs of the 60 s timeout, ask the provider
  // about pending orders older than staleMs, at most `concurrency` provider calls at once and ratePerSecond
  // payouts (admin transfer / the server API): limits in fen, checked and reserved before anything is sent;
  // WeChat needs a transfer scene granted in the merchant platform and the report infos that scene asks for
  transfers: {
    maxAmount: 199_999,                              // one payout (WeChat wants the real name from 2,000 yuan)
    dailyAmount: 5_000_000,                          // all payouts of a day (Beijing time)
    perUserDaily: { amount: 500_000, count: 10 },    // per payee and day
    sceneId: '1000',
    sceneReportInfos: [{ info_type: '活动名称', info_content: '提现' }, { info_type: '奖励说明', info_content: '余额提现' }],
  },
  sync: { budgetMs: 50_000, staleMs: 2 * 60_000, concurrency: 4, ratePerSecond: 50, autoRefundPaidAfterClose: false },
  userInfoKey: undefined,      // 64 hex chars to store user_info AES-256-GCM encrypted
  auth: 'uni-id',              // identity from uni-id tokens ('vk-router' inside the VK framework, or (req) => ({ uid, role }))
  adminRoles: ['admin'],       // uni-id roles that may call the admin methods
  adminToken: undefined,       // or a long random string for the admin dashboard's bearer token
};
