/**
 * What every service receives: data access (BaseDao + the Database for `db.command`), the validated config, a
 * clock, the providers and the business hooks. Built once per instance by `createCoreServices`.
 */
import { ParamError } from '../../../../../../common/errors';
import type { VkPayConfig } from '../config/schema';
import { channelFor, channelsServing, definitionOf, isChannel, PROVIDER_NAMES } from '../providers/registry';
import type { HookRegistry } from '../hooks/registry';
import type { Channel, PaymentProvider, ProviderName } from '../providers/types';
import type { StoreContext } from '../state/transition';

export interface CoreContext extends StoreContext {
  config: VkPayConfig;
  /**
   * The provider of a configured channel, for one of its merchants (config/merchants.ts; default: the section's
   * own); throws ParamError for a channel or merchant not in the config.
   */
  provider(channel: Channel, merchant?: string): PaymentProvider;
  hooks: HookRegistry;
  /** injectable for tests that must not wait real seconds */
  sleep(ms: number): Promise<void>;
}

/** Who is calling and from where, for logs and ownership checks. */
export interface CallerMeta {
  user_id?: string;
  isAdmin?: boolean;
  ip?: string;
  user_agent?: string;
  platform?: string;
}

/**
 * The channel serving a provider name (providers/registry.ts): the only one, or the one the config's
 * `<provider>Channel` picks (`provider: "wxpay"` is served by the WeChat Pay API version the config chooses).
 */
export function channelOf(config: VkPayConfig, provider: ProviderName): Channel {
  const channel = channelFor(config, provider);
  if (!channel) throw new ParamError(`provider must be one of ${PROVIDER_NAMES.join(', ')}`);
  return channel;
}

/**
 * The channel for a provider name and pay type: the one channelOf picks, unless it lacks the pay type and another
 * configured channel serving the same provider has it (vk-pay builds WeChat's payment codes on the v2 API only).
 */
export function channelForPayType(config: VkPayConfig, provider: ProviderName, payType: string): Channel {
  const preferred = channelOf(config, provider);
  if (definitionOf(preferred).payTypes.some((t) => t.name === payType)) return preferred;
  const other = channelsServing(provider).find((d) => d.payTypes.some((t) => t.name === payType) && isChannelConfigured(config, d.channel));
  return other?.channel ?? preferred;
}

/** A registered channel with a section in this config. */
export function isChannelConfigured(config: VkPayConfig, channel: Channel): boolean {
  return isChannel(channel) && Boolean(config.providers[channel]);
}

export function notifyUrlFor(config: VkPayConfig, channel: Channel): string {
  return `${config.notifyUrl.replace(/\/+$/, '')}/${channel}`;
}
