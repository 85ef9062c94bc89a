/**
 * Crash recovery, small (at least 10 kills run in `npm run bench notify-faults`): the local host as its own
 * process, SIGKILLed at random moments during a duplicate storm with the timer and queries racing, restarted on
 * the same data each time. The database opens every time; afterwards every order the sandbox considers paid is
 * paid exactly once with exactly one hook effect, the recovery after the last restart (including hooks whose
 * runner was killed) takes a few short leases, not a long one, and no secret is in any document or log line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCrashRecovery } from '../../bench/notify/crash';
import { rng } from '../../bench/notify/fuzz';

const homes: string[] = [];
afterAll(async () => { for (const h of homes) await rm(h, { recursive: true, force: true }); });

describe('crash recovery', () => {
  it('3 SIGKILLs during a storm of 16 orders x 8 deliveries: restarts every time, each order paid once, one hook effect each', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-crash-'));
    homes.push(home);
    const report = await runCrashRecovery({ home, channel: 'wxpay', orders: 16, deliveries: 8, senders: 8, kills: 3, random: rng(7) });
    process.stdout.write(`[figures] crash recovery: ${JSON.stringify({ ...report, storm: { ...report.storm } })}\n`);
    expect(report.restart_ms).toHaveLength(3);
    expect(report.problems).toEqual([]);
    expect(report.leaks).toEqual([]);
    // The old design leased a hook for a fixed 60 s; now a dead runner's lease lapses one short lease (5 s) later.
    expect(report.recovery_ms).toBeLessThan(15_000);
  }, 90_000);
});
