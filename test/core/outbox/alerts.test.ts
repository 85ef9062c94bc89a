/**
 * One alert path: every kind the core, the timer and the thresholds raise is an AlertKind, every alert row is
 * written by `raiseAlert` (outbox/alerts.ts) in one shape, and nothing else in the core adds to vk_pay_alerts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestDb, REPO, type TestDb } from '../support/db';
import { ALERT_KINDS, raiseAlert } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/outbox/alerts';
import { raiseThrottled } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/monitor/alert-store';
import { COLLECTIONS } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';

const SRC = path.join(REPO, 'uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

let t: TestDb | undefined;
afterEach(async () => { await t?.close(); t = undefined; });

describe('alerts: one function, one row shape', () => {
  it('every kind raised anywhere in the core is an AlertKind', () => {
    const raised = new Set<string>();
    for (const file of sources(SRC)) {
      const text = readFileSync(file, 'utf8');
      // raiseAlert(ctx, { kind: 'x' ...}), raiseThrottled(ctx, { kind: 'x' ...}) and threshold readings ({ kind: 'x', value ...})
      for (const m of text.matchAll(/raise(?:Alert|Throttled)\(ctx, \{\s*kind: '([a-z_]+)'/g)) raised.add(m[1]);
      for (const m of text.matchAll(/\{ kind: '([a-z_]+)', value:/g)) raised.add(m[1]);
    }
    expect(raised.size).toBeGreaterThanOrEqual(8);
    for (const kind of raised) expect(ALERT_KINDS, kind).toContain(kind);
    for (const kind of ['status_mismatch', 'provider_outage', 'error_rate', 'success_rate', 'notify_late', 'refund_success_rate']) expect(ALERT_KINDS).toContain(kind);
  });

  it('only outbox/alerts.ts adds rows to vk_pay_alerts', () => {
    const writers = sources(SRC).filter((file) => /add\(\{\s*dbName: COLLECTIONS\.alerts/.test(readFileSync(file, 'utf8')));
    expect(writers.map((f) => path.relative(SRC, f))).toEqual([path.join('outbox', 'alerts.ts')]);
  });

  it('a core alert and a throttled monitor alert are stored in the same shape', async () => {
    t = await openTestDb();
    const ctx = { dao: t.dao, db: t.db, now: () => 1_700_000_000_000 };
    expect(await raiseAlert(ctx, { kind: 'hook_dead_letter', out_trade_no: 'NO1', message: 'dead' })).toBe(true);
    expect(await raiseThrottled(ctx, { kind: 'provider_outage', out_trade_no: 'NO2', message: 'down' }, 600_000)).toBe(true);
    expect(await raiseThrottled(ctx, { kind: 'provider_outage', message: 'still down' }, 600_000)).toBe(false);
    expect(await raiseAlert(ctx, { kind: 'error_rate', message: 'errors' })).toBe(true);
    const rows = (await t.dao.select<Record<string, unknown>>({ dbName: COLLECTIONS.alerts, pageSize: -1 })).rows;
    const keys = (r: Record<string, unknown>) => Object.keys(r).filter((k) => k !== '_id').sort();
    expect(rows).toHaveLength(3);
    expect(keys(rows.find((r) => r.kind === 'hook_dead_letter')!)).toEqual(['create_date', 'delivered', 'kind', 'message', 'out_trade_no']);
    expect(keys(rows.find((r) => r.kind === 'provider_outage')!)).toEqual(['create_date', 'delivered', 'kind', 'message', 'out_trade_no']);
    expect(keys(rows.find((r) => r.kind === 'error_rate')!)).toEqual(['create_date', 'delivered', 'kind', 'message']);
  });
});
