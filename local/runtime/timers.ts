/**
 * Timers from each function's `cloudfunction-config.triggers`: uniCloud's 7-field cron (sec min hour day month
 * weekday year, in UTC+8) scheduled with croner. croner takes 6 fields, and uniCloud requires the year field to
 * be `*` in package.json (Aliyun and Alipay ignore it), so it is checked and dropped.
 */
import { Cron } from 'croner';
import type { LoadedFunction, TriggerConfig } from './functions';

export const UNICLOUD_TIMEZONE = 'Asia/Shanghai';

export function toCronerPattern(config: string): string {
  const fields = config.trim().split(/\s+/);
  if (fields.length !== 7) throw new Error(`timer trigger "${config}": uniCloud needs 7 fields (sec min hour day month weekday year)`);
  if (fields[6] !== '*') throw new Error(`timer trigger "${config}": the year field must be *`);
  return fields.slice(0, 6).join(' ');
}

export function timerTriggerOf(fn: LoadedFunction): TriggerConfig | undefined {
  return (fn.config.triggers ?? []).find((t) => t.type === 'timer');
}

/** Schedules every timer; returns the function that stops them all. `run` must not throw. */
export function scheduleTimers(functions: Iterable<LoadedFunction>, run: (fn: LoadedFunction, trigger: TriggerConfig) => Promise<void>): () => void {
  const jobs: Cron[] = [];
  for (const fn of functions) {
    const trigger = timerTriggerOf(fn);
    if (!trigger) continue;
    jobs.push(new Cron(toCronerPattern(trigger.config), { timezone: UNICLOUD_TIMEZONE }, () => run(fn, trigger)));
  }
  return () => {
    for (const job of jobs) job.stop();
  };
}
