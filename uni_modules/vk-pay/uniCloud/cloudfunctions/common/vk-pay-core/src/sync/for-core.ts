/**
 * The one-line wiring for `createCoreServices`: the sync timer with alert evaluation and delivery attached.
 *
 *   const sync = createSyncTimerForCore(ctx, { http: deps.http });
 *   runTimer: async (trigger) => ({ ...(await sync.runSync({ now: trigger.time })) }),
 */
import { createAlertMonitor } from '../monitor/alerts';
import type { HttpClient } from '../platform/http';
import type { CoreContext } from '../services/context';
import { defaultHttpClient } from '../services/provider-source';
import type { OrderDoc } from '../state/order';
import type { SyncSettings } from './settings';
import { createSyncTimer, type SyncTimer } from './timer';

export function createSyncTimerForCore(
  ctx: CoreContext,
  opts: { http?: HttpClient; settings?: Partial<SyncSettings>; refundPaidAfterClose?: (order: OrderDoc) => Promise<unknown> } = {},
): SyncTimer {
  const monitor = createAlertMonitor(ctx, { http: opts.http ?? defaultHttpClient(), config: ctx.config });
  return createSyncTimer({ ctx, deliverAlerts: (now) => monitor.run(now), refundPaidAfterClose: opts.refundPaidAfterClose }, opts.settings);
}
