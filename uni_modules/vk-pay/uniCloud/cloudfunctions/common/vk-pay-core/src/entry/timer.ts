/**
 * The timer adapter (`vk-pay-sync/index.js`): uniCloud's trigger event `{Time, TriggerName, Type}` -> one run
 * of the core's sync, whose summary is the function's result (logged by uniCloud, returned by the dev route).
 */
import type { CoreServices } from './services';

export interface TimerEvent {
  Time?: string;
  TriggerName?: string;
  Type?: string;
}

export function triggerTime(event: TimerEvent | undefined, now: () => number = Date.now): number {
  const parsed = event?.Time ? Date.parse(event.Time) : NaN;
  return Number.isFinite(parsed) ? parsed : now();
}

export function createTimerFunction(services: CoreServices) {
  return async function main(event: TimerEvent): Promise<Record<string, unknown>> {
    return services.runTimer({ time: triggerTime(event) });
  };
}
