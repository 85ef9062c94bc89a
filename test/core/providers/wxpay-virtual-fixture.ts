/** Shared by the virtual payment provider tests: the app's keys, a gateway fixture playing WeChat, signed pushes. */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { WxpayVirtualConfig } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers';
import { aesKeyOf, encryptPush, pushSignature } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/message-crypto';
import { clearAccessTokenCache } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/wxpay-virtual/token';
import { startFixture, type Fixture } from './gateway-fixture';

export const APPID = 'wx1111111111111111';
export const PROD_KEY = 'prodAppKey0123456789';
export const SANDBOX_KEY = 'sandboxAppKey0123456789';
export const TOKEN = 'pushToken01';
export const AES = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
export const SESSION_KEY = 'HyVFkGl5F5OQWJZZaNzBBg==';
export const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
export const hmac = (k: string, m: string) => createHmac('sha256', k).update(m).digest('hex');

/**
 * A gateway fixture for the file: started before its tests, closed after, its record of requests and the cached
 * access_token cleared before each test. The returned function gives the running fixture.
 */
export function useVirtualGateway(): () => Fixture {
  let gw: Fixture;
  beforeAll(async () => { gw = await startFixture(); });
  afterAll(async () => { await gw.close(); });
  beforeEach(() => { gw.seen.length = 0; clearAccessTokenCache(); });
  return () => gw;
}

/** The app's config against the fixture (env 1: WeChat's sandbox, signed with the sandbox AppKey). */
export const virtualConfig = (gw: Fixture, over: Partial<WxpayVirtualConfig> = {}): WxpayVirtualConfig => ({
  appId: APPID, appSecret: 'secret', offerId: '1450000001', env: 1, appKey: PROD_KEY, sandboxAppKey: SANDBOX_KEY,
  token: TOKEN, encodingAESKey: AES, coinPrice: 10, wxapiBaseUrl: `${gw.origin}/sandbox/wxapi/`, retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...over,
});

/** A message push as WeChat sends it in safe mode: encrypted for `appId`, both signatures with `token`. */
export function signedPush(message: string, o: { appId?: string; ts?: number; token?: string; nonce?: string } = {}) {
  const Encrypt = encryptPush(aesKeyOf(AES), message, o.appId ?? APPID);
  const timestamp = String(Math.floor((o.ts ?? NOW) / 1000));
  const nonce = o.nonce ?? '98765';
  const t = o.token ?? TOKEN;
  return {
    headers: { 'content-type': 'application/json' }, rawBody: JSON.stringify({ ToUserName: 'gh_000000000001', Encrypt }),
    query: { signature: pushSignature([t, timestamp, nonce]), timestamp, nonce, encrypt_type: 'aes', msg_signature: pushSignature([t, timestamp, nonce, Encrypt]) },
  };
}
