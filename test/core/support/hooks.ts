/** The real demo hooks (vk-pay-hooks/recharge.js), wrapped to count runs and optionally fail the first N. */
import path from 'node:path';
import type { BusinessHook, HookContext } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/hooks/registry';
import { HOOKS_DIR } from './db';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const recharge = require(path.join(HOOKS_DIR, 'recharge.js')) as Required<BusinessHook>;

export interface CountingHooks { modules: Record<string, BusinessHook>; paidRuns: number; refundedRuns: number; failures: number; failNext: number }

export function countingHooks(opts: { failFirst?: number } = {}): CountingHooks {
  const state: CountingHooks = { modules: {}, paidRuns: 0, refundedRuns: 0, failures: 0, failNext: opts.failFirst ?? 0 };
  state.modules.recharge = {
    async onPaid(ctx: HookContext) {
      state.paidRuns++;
      if (state.failNext > 0) { state.failNext--; state.failures++; throw new Error('business system unavailable'); }
      return recharge.onPaid(ctx);
    },
    async onRefunded(ctx: HookContext) {
      state.refundedRuns++;
      return recharge.onRefunded(ctx);
    },
  };
  return state;
}
