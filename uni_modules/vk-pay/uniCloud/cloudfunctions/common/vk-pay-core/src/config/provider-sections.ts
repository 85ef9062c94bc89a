/**
 * The parts of the config schema that come from the provider registry: `providers.<channel>` sections (each
 * its provider's own schema), `<provider>Channel` for a provider name several channels serve, and the fields
 * providers add to catalog items. A new provider changes none of this file.
 */
import { z } from 'zod';
import { CHANNELS, choosableProviders, PROVIDER_DEFINITIONS } from '../providers/registry';
import { withMerchants } from './merchants';

/** Config sections by channel: what `config.providers` holds after validation. */
export type ProviderSections = Partial<Record<string, Record<string, unknown>>>;

export function providersSchema() {
  const shape: Record<string, z.ZodTypeAny> = {};
  // each section may carry several merchants, each validated with the section's own schema (config/merchants.ts)
  for (const def of PROVIDER_DEFINITIONS) shape[def.channel] = withMerchants(def).optional();
  return z.object(shape)
    .refine((p) => CHANNELS.some((c) => Boolean(p[c])), `at least one of ${CHANNELS.join(', ')} is required`)
    .transform((p) => p as ProviderSections);
}

/** `<provider>Channel` must name a channel that serves that provider. */
export function checkChannelChoices(config: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const c of choosableProviders()) {
    const v = config[c.key];
    if (v !== undefined && (typeof v !== 'string' || !(c.channels as readonly string[]).includes(v))) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [c.key], message: `must be one of ${c.channels.map((x) => `'${x}'`).join(' | ')}` });
    }
  }
}

/** The config with each `<provider>Channel` set (the provider's default channel when absent). */
export function withChannelChoices<T extends Record<string, unknown>>(config: T): T {
  const out: Record<string, unknown> = { ...config };
  for (const c of choosableProviders()) if (out[c.key] === undefined) out[c.key] = c.fallback;
  return out as T;
}

export function catalogFieldsShape(): z.ZodRawShape {
  const shape: Record<string, z.ZodTypeAny> = {};
  for (const def of PROVIDER_DEFINITIONS) for (const [k, v] of Object.entries(def.catalogFields ?? {})) shape[k] = (v as z.ZodTypeAny).optional();
  return shape;
}
