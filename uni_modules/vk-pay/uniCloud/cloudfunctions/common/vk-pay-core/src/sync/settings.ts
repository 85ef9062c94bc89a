/**
 * The timer's tuning: `config.sync`, validated and defaulted by the config schema (config/operations-schema.ts),
 * then code overrides (tests, `npm run sync`, the bench), which are held to the same schema so a bad override is
 * named too instead of quietly replaced.
 */
import { ParamError } from '../../../../../../common/errors';
import { syncSchema, type SyncConfig } from '../config/operations-schema';
import type { VkPayConfig } from '../config/schema';

/** The timer's settings; each field is documented on the schema (config/operations-schema.ts). */
export type SyncSettings = SyncConfig;

export const DEFAULT_SYNC_SETTINGS: SyncSettings = Object.freeze(syncSchema.parse({}));

/** Config (`config.sync`) then code overrides. Throws ParamError (40001) naming each bad field. */
export function resolveSyncSettings(config: VkPayConfig | undefined, overrides: Partial<SyncSettings> = {}): SyncSettings {
  // An override left undefined keeps the configured value (a spread would reset it to the default).
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const result = syncSchema.safeParse({ ...(config?.sync ?? {}), ...given });
  if (!result.success) {
    throw new ParamError(`vk-pay sync settings: ${result.error.issues.map((i) => `sync.${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return result.data;
}
