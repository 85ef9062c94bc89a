/**
 * How a provider folder describes itself to the core (docs/PROVIDERS.md). Each folder under providers/ exports
 * one `ProviderDefinition` from its `definition.ts`, and `registry.ts` lists them; the core never names a
 * channel. Everything the core used to hard-code per channel is read from here: the config section's schema,
 * the pay types and the platforms they open on, the notify route and what its notifications may say, how a
 * message names the merchant, how a payment is bound to an order, the create-time checks, and the factory.
 */
import type { z } from 'zod';
import type { Channel, MerchantBinding, NotificationOutcome, PaymentProvider, ProviderContext } from './types';

/** The outcome kinds a verified notification can be mapped to (types.ts `NotificationOutcome`). */
export type NotificationKind = NotificationOutcome['kind'];

/** One way to pay: the `pay_type` name and the uni-app platforms that can open it. */
export interface PayTypeSpec {
  readonly name: string;
  /**
   * uni-app platforms (`uni.getSystemInfoSync().uniPlatform`: web, mp-weixin, mp-alipay, app) where this pay
   * type can be opened; `app-ios` / `app-android` narrow `app` to one system, `web-weixin` narrows `web` to
   * WeChat's built-in browser. Sent to the client by getPayOptions.
   */
  readonly platforms: readonly string[];
  /** the payer's id on the provider (openid, buyer_id) must accompany createPayment */
  readonly needsPayerId?: boolean;
  /**
   * The payer's payment code is scanned (`auth_code`): the provider answers at once or keeps the payer confirming
   * (USERPAYING / WAIT_BUYER_PAY); no notification comes, so the core settles it by querying on a schedule and
   * reverses it (`reverseOrder`) when it is not paid in time.
   */
  readonly scanned?: boolean;
  /** the provider signs the payment with the payer's session key stored by getOpenid (createOrder gets `session_key`) */
  readonly signsWithSessionKey?: boolean;
}

/** What createPayment knows when it asks a definition whether the request can be served. */
export interface CreateCheckInput {
  pay_type: string;
  /** the payer's payment code (scanned pay types) */
  auth_code?: string;
  type: string;
  openid?: string;
  /** the catalog item of a catalog order type, with every field the config gave it */
  goods?: { goods_id: string; item: Record<string, unknown> };
  /** the channel's validated config section */
  section: unknown;
}

export interface ProviderDefinition<Section = any> {
  /**
   * The channel: the config key `providers.<channel>`, the notify route `/http/vk-pay-notify/<channel>`, the
   * stored `order.channel`, the sandbox's channel name. Unique across the registry.
   */
  readonly channel: Channel;
  /** The name clients send as `createPayment({provider})` and read in getPayOptions; several channels may serve one. */
  readonly provider: string;
  /**
   * When several channels serve one provider name, the config key `<provider>Channel` picks one (e.g.
   * `wxpayChannel`); the channel marked default serves it when the key is absent.
   */
  readonly defaultForProvider?: boolean;
  readonly payTypes: readonly PayTypeSpec[];
  /** zod schema of `providers.<channel>`; a bad field is named as `providers.<channel>.<field>` when the config loads */
  readonly configSchema: z.ZodType<Section, z.ZodTypeDef, unknown>;
  /** config field names whose mistakes are key problems (40003) rather than parameter problems (40001) */
  readonly keyFields?: RegExp;
  /** gateway URLs of the section: outside the sandbox env each must be https */
  gatewayUrls(section: Section): string[];
  /** fields this provider adds to a catalog item (all optional there; e.g. `appleProductId`) */
  readonly catalogFields?: z.ZodRawShape;
  /**
   * Asynchronous notifications: the outcome kinds they may be mapped to (anything else a verified notification
   * says is refused), or null when the provider sends none (its route then answers 404).
   */
  readonly notifications: { readonly kinds: readonly NotificationKind[] } | null;
  /** How a message names the merchant: the field labels for error messages, and the ids this config accepts. */
  readonly merchant: {
    readonly labels: { readonly app_id: string; readonly merchant_id: string };
    expected(section: Section): MerchantBinding[];
  };
  /**
   * How a payment is bound to its order besides the channel: `amount` - the exact amount in integer fen;
   * `product` - the provider's product id, which the order took from its catalog item (`productIdOf`).
   */
  readonly orderBinding: 'amount' | 'product';
  /** the provider's product id in a catalog item (orderBinding `product`) */
  productIdOf?(item: Record<string, unknown>): string | undefined;
  /**
   * Refunds: `merchant` - asked through `refund()`; `provider` - only the payer asks the provider, which reports
   * them (no refund call, e.g. the App Store); `console` - vk-pay does not call this channel's refund API yet, so
   * a merchant refunds in the provider's own console.
   */
  readonly refunds: 'merchant' | 'provider' | 'console';
  /**
   * The merchant refund numbers the channel takes, when narrower than the core's own (6-64 of letters, digits, _
   * and -): WeChat virtual payment's refund_order_id is 8-32 characters. A given out_refund_no is checked against
   * it before anything is written, and the numbers the core makes are made to fit.
   */
  readonly refundNo?: { readonly pattern: RegExp; readonly maxLength: number };
  /** the channel's refund queries name the payer: the order's openid goes along as the query's hint */
  readonly refundQueryNeedsPayer?: boolean;
  /**
   * In-app coins the payer buys and the merchant's server spends (the provider's coinBalance / payWithCoins):
   * the pay type whose app the payer signed in to (getOpenid), whose openid and session key the coin calls use.
   */
  readonly coinPayType?: string;
  /**
   * The app a pay type that needs a payer id pays through (WeChat appid per pay_type, Alipay app_id): the openid
   * getOpenid stores and createPayment looks up is the payer's id under this app.
   */
  payerAppId?(section: Section, pay_type: string): string;
  /**
   * Payouts (docs/PROTOCOLS.md section 10), absent for a channel without them: the payee identity types it takes,
   * each with the pattern a well-formed account has, the smallest amount it pays (fen), and whether the gateway
   * sends transfer notifications (to `/http/vk-pay-notify/<channel>-transfer`).
   */
  readonly transfers?: { readonly payees: Readonly<Record<string, RegExp>>; readonly minAmount: number; readonly notifications: boolean };
  /**
   * Where a browser page gets a login code for a pay type (the official account's OAuth authorize URL), sent to
   * clients by getPayOptions beside the app id; undefined where the platform's own login gives the code.
   */
  loginAuthorizeUrl?(section: Section, pay_type: string): string | undefined;
  /** Checks beyond the pay type before an order is stored; throws ParamError naming what is missing. */
  checkCreate?(input: CreateCheckInput): void;
  /** The client for a validated config section (bad keys throw KeyConfigError, 40003, naming the field). */
  create(section: Section, ctx: ProviderContext): PaymentProvider;
}

/** Identity function that keeps a definition's literal types (channel names, section type). */
export function defineProvider<Section>(def: ProviderDefinition<Section>): ProviderDefinition<Section> {
  return def;
}
