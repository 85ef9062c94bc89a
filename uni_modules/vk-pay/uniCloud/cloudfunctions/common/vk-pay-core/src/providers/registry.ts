/**
 * The provider registry: every channel the core can serve, each described by its own folder's definition.ts
 * (definition.ts says what a definition holds). Adding a provider = a folder under providers/ with a
 * definition, one line in PROVIDER_DEFINITIONS, and its section in the config example; nothing else in the
 * core names a channel. Lookups here are what the core asks: which channels exist, which serves a provider
 * name, which pay types a channel has, and the definition itself.
 */
import { ParamError } from '../../../../../../common/errors';
import { alipayDefinition } from './alipay/definition';
import { appleiapDefinition } from './appleiap/definition';
import type { PayTypeSpec, ProviderDefinition } from './definition';
import type { Channel } from './types';
import { wxpayDefinition } from './wxpay/definition';
import { wxpayV2Definition } from './wxpay-v2/definition';
import { wxpayVirtualDefinition } from './wxpay-virtual/definition';

export const PROVIDER_DEFINITIONS: readonly ProviderDefinition[] = [wxpayDefinition, wxpayV2Definition, alipayDefinition, appleiapDefinition, wxpayVirtualDefinition];

const BY_CHANNEL = new Map<string, ProviderDefinition>();
for (const def of PROVIDER_DEFINITIONS) {
  if (BY_CHANNEL.has(def.channel)) throw new Error(`provider registry: channel ${def.channel} is defined twice`);
  BY_CHANNEL.set(def.channel, def);
}

/** Every registered channel, in registry order. */
export const CHANNELS: readonly Channel[] = PROVIDER_DEFINITIONS.map((d) => d.channel);

/** Every provider name clients may send (a name served by several channels appears once). */
export const PROVIDER_NAMES: readonly string[] = [...new Set(PROVIDER_DEFINITIONS.map((d) => d.provider))];

/** Pay type names per channel. */
export const PAY_TYPES: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.fromEntries(PROVIDER_DEFINITIONS.map((d) => [d.channel, d.payTypes.map((p) => p.name)])),
);

/** True for a registered channel name (an own key, so `constructor` and the like are not channels). */
export function isChannel(v: unknown): v is Channel {
  return typeof v === 'string' && BY_CHANNEL.has(v);
}

export function isProviderName(v: unknown): v is string {
  return typeof v === 'string' && PROVIDER_NAMES.includes(v);
}

export function findDefinition(channel: unknown): ProviderDefinition | undefined {
  return typeof channel === 'string' ? BY_CHANNEL.get(channel) : undefined;
}

/** The definition of a registered channel; ParamError (40001) for anything else. */
export function definitionOf(channel: Channel | string): ProviderDefinition {
  const def = findDefinition(channel);
  if (!def) throw new ParamError(`channel ${String(channel).slice(0, 32)} is not a known channel`);
  return def;
}

/** The channels serving a provider name, the default one first. */
export function channelsServing(provider: string): ProviderDefinition[] {
  return PROVIDER_DEFINITIONS.filter((d) => d.provider === provider).sort((a, b) => Number(Boolean(b.defaultForProvider)) - Number(Boolean(a.defaultForProvider)));
}

/** Provider names served by more than one channel: the config chooses with `<provider>Channel`. */
export function choosableProviders(): Array<{ provider: string; key: string; channels: Channel[]; fallback: Channel }> {
  return PROVIDER_NAMES.map((provider) => ({ provider, defs: channelsServing(provider) }))
    .filter((p) => p.defs.length > 1)
    .map((p) => ({ provider: p.provider, key: `${p.provider}Channel`, channels: p.defs.map((d) => d.channel), fallback: p.defs[0].channel }));
}

/**
 * The channel that serves a provider name under this config: the one `<provider>Channel` names when several
 * can, else the only one. Undefined for an unknown provider name.
 */
export function channelFor(config: Record<string, unknown>, provider: string): Channel | undefined {
  const defs = channelsServing(provider);
  if (defs.length === 0) return undefined;
  if (defs.length === 1) return defs[0].channel;
  const chosen = config[`${provider}Channel`];
  const picked = defs.find((d) => d.channel === chosen);
  return (picked ?? defs[0]).channel;
}

export function payTypeSpec(channel: string, payType: string): PayTypeSpec | undefined {
  return findDefinition(channel)?.payTypes.find((p) => p.name === payType);
}
