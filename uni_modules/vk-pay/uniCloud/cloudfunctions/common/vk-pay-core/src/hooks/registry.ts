/**
 * Business hooks: `vk-pay-hooks/<type>.js` exporting `onPaid(ctx)` / `onRefunded(ctx)` (plain JS, the user's
 * code, kept outside the core so plugin updates never overwrite it). Loaded by `require` from the hooks
 * module's directory (injectable for tests), or given directly as modules.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BaseDao } from '../dao/types';
import type { Database, DbCommand } from '../platform/database';
import type { OrderDoc } from '../state/order';

export interface HookContext {
  event: 'paid' | 'refunded';
  order: OrderDoc;
  /** for onRefunded: the refund that succeeded */
  refund?: { out_refund_no: string; amount: number };
  db: Database;
  _: DbCommand;
  dao: BaseDao;
  /** 1 for the first run; a hook may run more than once (at least once), so it must be idempotent */
  attempt: number;
  now: number;
}

/** What `effectOf` gets: the paid order and data access, to read (never change) what onPaid did. */
export interface EffectContext {
  order: OrderDoc;
  db: Database;
  _: DbCommand;
  dao: BaseDao;
  now: number;
}

export interface BusinessHook {
  onPaid?(ctx: HookContext): unknown;
  onRefunded?(ctx: HookContext): unknown;
  /**
   * Optional: what the payer's result page shows the purchase did, e.g. `{ kind: 'points', points, balance }`.
   * Called only after onPaid has finished, only for the order's owner (or an admin); read-only.
   */
  effectOf?(ctx: EffectContext): unknown;
}

export interface HookRegistry {
  /** the hook module for an order type, or undefined when the type has none */
  get(type: string): BusinessHook | undefined;
}

const TYPE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Where `vk-pay-hooks` is: next to the core in a cloud function's node_modules, or in the repository. */
export function defaultHooksDir(): string {
  try {
    return resolve(require.resolve('vk-pay-hooks/package.json'), '..');
  } catch {
    return resolve(process.cwd(), 'uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-hooks');
  }
}

export function createHookRegistry(opts: { dir?: string; modules?: Record<string, BusinessHook> } = {}): HookRegistry {
  if (opts.modules) {
    const modules = opts.modules;
    return { get: (type) => (Object.prototype.hasOwnProperty.call(modules, type) ? modules[type] : undefined) };
  }
  const dir = opts.dir ?? defaultHooksDir();
  const load = createRequire(join(dir, 'index.js'));
  const cache = new Map<string, BusinessHook | undefined>();
  return {
    get(type) {
      if (!TYPE_NAME.test(type)) return undefined; // never let an order type walk the file system
      if (cache.has(type)) return cache.get(type);
      const file = join(dir, `${type}.js`);
      const mod = existsSync(file) ? (load(file) as BusinessHook) : undefined;
      cache.set(type, mod);
      return mod;
    },
  };
}
