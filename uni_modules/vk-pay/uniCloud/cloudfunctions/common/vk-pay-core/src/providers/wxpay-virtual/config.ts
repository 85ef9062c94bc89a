/**
 * The `wxpay-virtual` config section: the mini program (appId, appSecret for login codes and the stable
 * access_token), the virtual payment console's offer id and its two AppKeys, the environment in use, and the
 * message push's Token and EncodingAESKey (docs/PROTOCOLS.md section 12).
 */
import { z } from 'zod';
import { KeyConfigError } from '../../../../../../../common/errors';
import { nonEmpty } from '../config-fields';
import type { RetryTuning } from '../shared';
import type { VirtualPayEnv } from './signing';

export const WXAPI_BASE_URL = 'https://api.weixin.qq.com/';

export const wxpayVirtualSchema = z.object({
  /** the mini program's appid (the push's plaintext names it; the openid is under it) */
  appId: nonEmpty,
  /** the mini program's AppSecret: login codes (jscode2session) and /cgi-bin/stable_token */
  appSecret: nonEmpty,
  /** the offer id of the virtual payment console's basic settings */
  offerId: z.string().regex(/^[0-9A-Za-z_-]{1,64}$/, 'offerId must be the console offer id'),
  /** 0 = WeChat's production environment, 1 = its sandbox environment; decides which AppKey signs */
  env: z.union([z.literal(0), z.literal(1)]).default(0),
  /** the production AppKey (env 0) */
  appKey: nonEmpty.optional(),
  /** the sandbox AppKey (env 1): WeChat issues a separate one, and signatures with the other are refused */
  sandboxAppKey: nonEmpty.optional(),
  /** message push settings of the mini program (safe mode) */
  token: z.string().regex(/^[A-Za-z0-9]{3,32}$/, 'token must be 3-32 letters or digits'),
  encodingAESKey: z.string().regex(/^[A-Za-z0-9]{43}$/, 'encodingAESKey must be 43 letters or digits'),
  /** coin mode: the price of one coin in fen as configured in the console (the order amount must be coins x price) */
  coinPrice: z.number().int().positive().optional(),
  /** open-platform API base; the sandbox's is `<base>/sandbox/wxapi/` */
  wxapiBaseUrl: z.string().url().default(WXAPI_BASE_URL),
  retry: z.object({ maxAttempts: z.number().int().positive().optional(), baseDelayMs: z.number().int().nonnegative().optional(), maxDelayMs: z.number().int().nonnegative().optional() }).optional(),
}).passthrough().refine((s) => Boolean(s.env === 1 ? s.sandboxAppKey : s.appKey), {
  message: 'the AppKey of the environment in use is required (appKey for env 0, sandboxAppKey for env 1)', path: ['appKey'],
});

export type WxpayVirtualSection = z.output<typeof wxpayVirtualSchema>;

/** The client's own config shape (what createProvider('wxpay-virtual', ...) takes). */
export interface WxpayVirtualConfig {
  appId: string;
  appSecret: string;
  offerId: string;
  env?: VirtualPayEnv;
  appKey?: string;
  sandboxAppKey?: string;
  token: string;
  encodingAESKey: string;
  coinPrice?: number;
  wxapiBaseUrl?: string;
  retry?: RetryTuning;
}

/** The AppKey of the environment the config uses: production and sandbox keys never stand in for each other. */
export function appKeyFor(config: WxpayVirtualConfig): string {
  const env = config.env ?? 0;
  const key = env === 1 ? config.sandboxAppKey : config.appKey;
  if (!key) throw new KeyConfigError(`wxpay-virtual.${env === 1 ? 'sandboxAppKey' : 'appKey'} is required for env ${env}`);
  return key;
}
