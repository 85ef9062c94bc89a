/**
 * The statement tests' calendar. A provider's statement covers one day in UTC+8 (docs/PROTOCOLS.md section 8),
 * so a test names its day in UTC+8 and then moves the harness's clock (the core's and the sandbox's alike) to a
 * time of day after it. Times are set from the day's midnight, never as "now + N h": the latter lands on a
 * different hour of the next day depending on when the test runs.
 */

export const DAY = 86_400_000;
const HOUR = 3_600_000;
const UTC8 = 8 * HOUR;

/** YYYY-MM-DD of `ms` in UTC+8 (default: the real now). */
export const utc8Date = (ms: number = Date.now()): string => new Date(ms + UTC8).toISOString().slice(0, 10);

/** The instant `hours` (may be fractional) past the midnight, UTC+8, that ends `date`. */
export const nextDayAt = (date: string, hours: number): number => Date.parse(`${date}T00:00:00+08:00`) + DAY + hours * HOUR;

export interface TestClock {
  /** the clock to hand to the harness */
  now(): number;
  /** back to the real time */
  reset(): void;
  /** `ms` ahead of the real time from now on */
  ahead(ms: number): void;
  /** the instant `ms` now, then running on with the real clock */
  setTo(ms: number): void;
}

/** A clock that runs with the real one, moved by an offset the test sets. */
export function testClock(): TestClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    reset: () => { offset = 0; },
    ahead: (ms) => { offset = ms; },
    setTo: (ms) => { offset = ms - Date.now(); },
  };
}
