/**
 * The timer adapter (`vk-pay-sync/index.js`): uniCloud's trigger event `{Time, TriggerName, Type}` -> one run
 * of the core's sync, whose summary is the function's result (logged by uniCloud, returned by the dev route).
 *
 * Only the trigger may run it. A cloud function can also be called by a client (`uniCloud.callFunction`) or
 * another function; uniCloud says who called in `context.SOURCE`, and anything but `timing` is refused without
 * touching the database. The event's `Time` is trusted only near this function's own clock: a run a caller
 * dated in the future could otherwise expire orders early.
 */
import { failureEnvelope, type ErrorEnvelope } from '../../../../../../common/errors';
import type { CoreServices } from './services';

export interface TimerEvent {
  Time?: string;
  TriggerName?: string;
  Type?: string;
}

export interface TimerContext {
  /** `timing` for a trigger; `client`, `function`, `http`, `server` otherwise */
  SOURCE?: string;
}

/** How far the trigger's Time may be from this clock (uniCloud retries a timed-out run with its original Time). */
export const TRIGGER_TIME_TOLERANCE_MS = 10 * 60_000;

export function triggerTime(event: TimerEvent | undefined, now: () => number = Date.now): number {
  const parsed = event?.Time ? Date.parse(event.Time) : NaN;
  const clock = now();
  return Number.isFinite(parsed) && Math.abs(parsed - clock) <= TRIGGER_TIME_TOLERANCE_MS ? parsed : clock;
}

export function createTimerFunction(services: CoreServices, opts: { now?: () => number } = {}) {
  return async function main(event: TimerEvent, context?: TimerContext): Promise<Record<string, unknown> | ErrorEnvelope> {
    const source = context?.SOURCE;
    if (source !== undefined && source !== 'timing') {
      return failureEnvelope(40009, `vk-pay-sync runs only from its timer trigger (called from ${String(source).slice(0, 16)})`);
    }
    return services.runTimer({ time: triggerTime(event, opts.now) });
  };
}
