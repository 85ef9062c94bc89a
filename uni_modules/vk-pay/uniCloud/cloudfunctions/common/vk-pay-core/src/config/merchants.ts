/**
 * Several merchants per channel (section 12): a provider section may carry `merchants: {<name>: {...}}`, each a
 * merchant of its own (its mchId / seller, keys, appids) written as the fields that differ from the section, and
 * `merchantFor`, the rule that picks one per order: an object from order type to merchant name, or a function of
 * the order (`{type, goods_id, user_id, amount}`) that returns a name. The section itself is the merchant
 * `default`. Each merchant is validated with its provider's own schema when the config loads (a missing key is
 * named `providers.<channel>.merchants.<name>.<field>`).
 *
 * An order remembers its merchant (`order.merchant`, absent for `default`); queries, closes and refunds use that
 * merchant's keys, and a notification is verified with the keys of each configured merchant in turn and bound to
 * the one whose keys verify it: a notification no configured merchant's keys verify is refused.
 */
import { z } from 'zod';
import { ParamError } from '../../../../../../common/errors';
import type { ProviderDefinition } from '../providers/definition';
import type { Channel } from '../providers/types';
import type { VkPayConfig } from './schema';

export const DEFAULT_MERCHANT = 'default';
const MERCHANT_NAME = /^[A-Za-z0-9_-]{1,32}$/;

export interface MerchantChoiceInput { type: string; goods_id?: string; user_id: string; amount: number }
type MerchantRule = Record<string, string> | ((input: MerchantChoiceInput) => string);

/** The provider's section schema, plus its `merchants` validated one by one with the same schema. */
export function withMerchants(def: ProviderDefinition): z.ZodTypeAny {
  return def.configSchema.transform((section: Record<string, unknown>, tctx) => {
    const raw = section.merchants;
    const rule = section.merchantFor;
    if (raw === undefined && rule === undefined) return section;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      tctx.addIssue({ code: z.ZodIssueCode.custom, path: ['merchants'], message: 'must be an object of merchants by name' });
      return z.NEVER;
    }
    const { merchants: _m, merchantFor: _f, ...base } = section;
    const parsed: Record<string, unknown> = {};
    for (const [name, over] of Object.entries(raw as Record<string, unknown>)) {
      if (!MERCHANT_NAME.test(name) || name === DEFAULT_MERCHANT) {
        tctx.addIssue({ code: z.ZodIssueCode.custom, path: ['merchants', name], message: `a merchant name is 1-32 of [A-Za-z0-9_-] and not "${DEFAULT_MERCHANT}"` });
        continue;
      }
      if (!over || typeof over !== 'object' || Array.isArray(over)) {
        tctx.addIssue({ code: z.ZodIssueCode.custom, path: ['merchants', name], message: 'must be an object' });
        continue;
      }
      const r = def.configSchema.safeParse({ ...base, ...(over as Record<string, unknown>) });
      if (r.success) parsed[name] = r.data;
      else for (const issue of r.error.issues) tctx.addIssue({ ...issue, path: ['merchants', name, ...issue.path] } as z.IssueData);
    }
    if (rule !== undefined && typeof rule !== 'function') {
      if (!rule || typeof rule !== 'object' || Array.isArray(rule)) {
        tctx.addIssue({ code: z.ZodIssueCode.custom, path: ['merchantFor'], message: 'must map order types to merchant names, or be a function' });
      } else {
        for (const [type, name] of Object.entries(rule as Record<string, unknown>)) {
          if (name !== DEFAULT_MERCHANT && (typeof name !== 'string' || !(name in parsed))) {
            tctx.addIssue({ code: z.ZodIssueCode.custom, path: ['merchantFor', type], message: `names no merchant of this section: ${String(name).slice(0, 32)}` });
          }
        }
      }
    }
    return { ...section, merchants: parsed };
  });
}

function sectionOf(config: VkPayConfig, channel: Channel): Record<string, unknown> | undefined {
  return config.providers[channel] as Record<string, unknown> | undefined;
}

/** The merchant names of a channel, `default` first. */
export function merchantNames(config: VkPayConfig, channel: Channel): string[] {
  const merchants = sectionOf(config, channel)?.merchants as Record<string, unknown> | undefined;
  return [DEFAULT_MERCHANT, ...Object.keys(merchants ?? {})];
}

/** A merchant's whole section (its own fields over the channel's); undefined for a name this config lacks. */
export function merchantSection(config: VkPayConfig, channel: Channel, name: string = DEFAULT_MERCHANT): Record<string, unknown> | undefined {
  const section = sectionOf(config, channel);
  if (!section) return undefined;
  if (name === DEFAULT_MERCHANT) return section;
  const own = (section.merchants as Record<string, Record<string, unknown>> | undefined)?.[name];
  return own && Object.prototype.hasOwnProperty.call(section.merchants, name) ? own : undefined;
}

/** The merchant an order stored with `merchant` (absent = default) belongs to. */
export function merchantOf(doc: { merchant?: string }): string {
  return doc.merchant ?? DEFAULT_MERCHANT;
}

/** The merchant a new order of this channel goes to, by the section's `merchantFor` rule (default without one). */
export function chooseMerchant(config: VkPayConfig, channel: Channel, input: MerchantChoiceInput): string {
  const rule = sectionOf(config, channel)?.merchantFor as MerchantRule | undefined;
  if (!rule) return DEFAULT_MERCHANT;
  const name = typeof rule === 'function' ? rule(input) : rule[input.type] ?? DEFAULT_MERCHANT;
  if (typeof name !== 'string' || !merchantSection(config, channel, name)) {
    throw new ParamError(`providers.${channel}.merchantFor chose merchant ${String(name).slice(0, 32)}, which is not configured`);
  }
  return name;
}
