/**
 * The shape of `uni-config-center/vk-pay/config.js`, as a zod schema. Every field a merchant can get wrong is
 * named in the error (see `load.ts`), so a bad upload fails at the first call with "providers.wxpay.mchId: ..."
 * instead of a signature error at the first payment.
 */
import { z } from 'zod';
import { alertsSchema, syncSchema } from './operations-schema';
import { transfersSchema } from './transfers-schema';
import { catalogFieldsShape, checkChannelChoices, providersSchema, withChannelChoices } from './provider-sections';

/** a function field, kept as the very function given (z.function() would wrap it) */
const fn = <F>(message: string) => z.custom<F>((v) => typeof v === 'function', { message });

/** What a `custom` order type's resolver receives and returns (amounts in integer fen). */
export interface OrderResolverInput { type: string; amount?: number; goods_id?: string; subject?: string; user_id: string }
export type OrderResolver = (input: OrderResolverInput) => { amount: number; subject: string } | Promise<{ amount: number; subject: string }>;

/** The identity an auth hook returns; `role` containing "admin" unlocks admin methods. */
export interface AuthIdentity { uid: string; role?: string[]; /** profile data stored on orders (encrypted when userInfoKey is set) */ userInfo?: unknown }
export type AuthHook = (req: { method: string; uniIdToken?: string; httpInfo?: { headers?: Record<string, string> }; userInfo?: unknown; clientInfo?: unknown }) => AuthIdentity | null | undefined | Promise<AuthIdentity | null | undefined>;

/**
 * A catalog item: its price and subject, plus the optional fields providers add (e.g. `appleProductId`), checked
 * by each provider's schema. Passthrough, so a config written in TypeScript may name those fields: their names
 * come from the registry at run time and the static type cannot list them.
 */
const catalogItem = z.object({ amount: z.number().int().positive(), subject: z.string().min(2), ...catalogFieldsShape() }).passthrough();

/**
 * How an order type decides its amount. `client`: the client's amount within [min, max] (recharge);
 * `catalog`: a server-side price list keyed by goods_id (goods, vip); `custom`: the merchant's own function.
 */
export const orderTypeSchema = z.discriminatedUnion('amount', [
  z.object({ amount: z.literal('client'), min: z.number().int().positive().default(1), max: z.number().int().positive().optional(), subject: z.string().min(2).optional() }),
  z.object({ amount: z.literal('catalog'), catalog: z.record(catalogItem).refine((c) => Object.keys(c).length > 0, 'catalog must not be empty') }),
  z.object({
    amount: z.literal('custom'),
    resolve: fn<OrderResolver>('resolve must be a function (input) => ({ amount, subject })'),
    subject: z.string().min(2).optional(),
  }),
]);

const configShape = z.object({
  env: z.enum(['sandbox', 'production']),
  /** URL of the URL-ized `vk-pay-notify` function; `/<channel>` is appended per channel */
  notifyUrl: z.string().url(),
  /** where wap/page/h5 payments send the person back (optional) */
  returnUrl: z.string().url().optional(),
  /** one section per channel, each validated by its provider's own schema (providers/<channel>/definition.ts) */
  providers: providersSchema(),
  orderTypes: z.record(orderTypeSchema).refine((t) => Object.keys(t).length > 0, 'at least one order type is required'),
  /** integer fen */
  maxAmount: z.number().int().positive().default(1_000_000),
  ttlMs: z.number().int().positive().default(2 * 60 * 60 * 1000),
  rateLimit: z.object({ perMinute: z.number().int().positive().default(10) }).default({}),
  /** queryPayment({await_notify}) waits at most this long */
  awaitNotifyMs: z.number().int().nonnegative().default(20_000),
  hooks: z
    .object({
      /** run a hook right where it became owed (the move that owes it also claims it; the timer retries failures) */
      inline: z.boolean().default(true),
      maxAttempts: z.number().int().positive().default(8),
      /** delays before retry n (ms); the last one repeats */
      backoffMs: z.array(z.number().int().nonnegative()).min(1).default([15_000, 30_000, 60_000, 180_000, 600_000, 1_800_000, 3_600_000, 10_800_000]),
      /**
       * how long a runner's claim on a hook lasts without renewal. The runner renews it every third of this while
       * the hook runs, so a slow hook keeps it; a runner that died (killed, timed out) loses it this long after its
       * last renewal, and the timer then runs the hook again.
       */
      leaseMs: z.number().int().min(300).default(5_000),
    })
    .default({}),
  /** alert webhooks and thresholds (operations-schema.ts) */
  alerts: alertsSchema.default({}),
  /** the timer's tuning (operations-schema.ts) */
  sync: syncSchema.default({}),
  /**
   * scanned payment codes (pay_type codepay): while the payer confirms, the provider is asked every pollMs; not
   * paid after timeoutMs, the payment is reversed at the provider and the order closed (5 s x 6, as cash registers do)
   */
  codepay: z.object({ pollMs: z.number().int().min(100).default(5_000), timeoutMs: z.number().int().min(1_000).max(120_000).default(30_000) }).strict().default({}),
  /** payout limits and WeChat's transfer scene (transfers-schema.ts) */
  transfers: transfersSchema.default({}),
  /** 64 hex chars (32 bytes): when set, user_info stored on orders is AES-256-GCM encrypted */
  userInfoKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'userInfoKey must be 64 hex characters').optional(),
  /**
   * Who the caller is: 'uni-id' (default: the uni-id token, verified by uni-id-common), 'vk-router' (the user VK's
   * router already checked), or your own function (req) => ({ uid, role }) | null.
   */
  auth: z.union([z.enum(['uni-id', 'vk-router']), fn<AuthHook>("auth must be 'uni-id', 'vk-router' or a function (req) => ({ uid, role })")]).default('uni-id'),
  /** roles that may call the admin methods (a uni-id user with one of them, besides the bearer token) */
  adminRoles: z.array(z.string().min(1, 'a role name cannot be empty')).min(1, 'adminRoles needs at least one role').default(['admin']),
  /** admin bearer token, or a function that reads it (the local config reads `${VKPAY_HOME}/admin-token`) */
  adminToken: z.union([z.string().min(16, 'adminToken must be at least 16 characters'), fn<() => string | undefined>('adminToken must be a string or a function')]).optional(),
}).passthrough();

/**
 * The whole config. `<provider>Channel` (e.g. `wxpayChannel`: which WeChat Pay API serves "wxpay") exists for
 * each provider name several channels serve; it is checked against the registry and defaulted here.
 */
export const configSchema = configShape.superRefine(checkChannelChoices).transform(withChannelChoices);

export type VkPayConfigInput = z.input<typeof configSchema>;
export type VkPayConfig = z.output<typeof configSchema>;
export type OrderTypeConfig = z.output<typeof orderTypeSchema>;
export type { WxpayV3Section as WxpayV3Config } from '../providers/wxpay/definition';
export type { WxpayV2Section as WxpayV2Config } from '../providers/wxpay-v2/definition';
export type { AlipaySection as AlipayConfig } from '../providers/alipay/definition';
export type { TransfersConfig } from './transfers-schema';
export type { SyncConfig, AlertThresholdsConfig, WebhookConfig, AlertsConfig } from './operations-schema';
