/**
 * uniCloud/database against what the code really writes: every collection the core names (state/collections.ts,
 * any other `dbName:` in the source) has a schema and an index file, nothing but a person's own orders (and the
 * owner-read records the schema test allows) is client-readable, and after a run of the whole flow - notified and
 * lost payments, the timer's repair, close and refund checks, a dead-lettered hook, a forged notification, alerts
 * raised and delivered - every field of every stored document is declared (with a console title) in its schema.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOOKS_DIR, INDEX_DIR, REPO } from '../support/db';
import type { Harness } from '../support/harness';
import { loadIndexSpecs } from '../../../local/db/index-spec';
import { COLLECTIONS } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';
import { ALERT_KINDS_COLLECTION } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/monitor/alert-store';
import { createSyncTimerForCore } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/sync/for-core';
import { startReceiver } from '../monitor/receiver';
import { paidSandboxOrder, signedNotification } from '../support/notifications';
import { age, createOrder, payWithLostNotification, rows, startSyncHarness } from './sync-harness';

const SRC = path.join(REPO, 'uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src');
const HOOKS = path.join(REPO, 'uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-hooks');
const read = (f: string) => JSON.parse(readFileSync(path.join(INDEX_DIR, f), 'utf8'));
const SYNC_FIELDS = ['sync_lease', 'sync_lease_until', 'sync_next_at', 'sync_checked_at', 'sync_errors'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|js)$/.test(p) ? [p] : [];
  });
}

/** Every collection the code names: the COLLECTIONS table, string constants and literals given as `dbName:`. */
function collectionsInCode(): string[] {
  const names = new Set<string>([...Object.values(COLLECTIONS), ALERT_KINDS_COLLECTION]);
  for (const file of [...files(SRC), ...files(HOOKS)]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/dbName:\s*(?:COLLECTIONS\.(\w+)|'([a-z_]+)'|"([a-z_]+)"|([A-Z_]+)\b)/g)) {
      if (m[1]) {
        expect(COLLECTIONS, `${file}: COLLECTIONS.${m[1]}`).toHaveProperty(m[1]);
        names.add((COLLECTIONS as Record<string, string>)[m[1]]);
      } else if (m[2] || m[3]) names.add(m[2] ?? m[3]);
      else if (m[4]) {
        const decl = text.match(new RegExp(`${m[4]}\\s*=\\s*'([a-z_]+)'`)) ?? readFileSync(path.join(SRC, 'monitor/alert-store.ts'), 'utf8').match(new RegExp(`${m[4]}\\s*=\\s*'([a-z_]+)'`));
        expect(decl, `${file}: constant ${m[4]}`).not.toBeNull();
        names.add(decl![1]);
      }
    }
  }
  return [...names].sort();
}

let h: Harness | undefined;
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
afterEach(async () => { await h?.close(); await receiver?.close(); h = undefined; receiver = undefined; });

describe('database files match the code', () => {
  const names = collectionsInCode();

  it.each(names)('%s has a schema and an index file; only owners read, nobody writes from a client', (name) => {
    expect(existsSync(path.join(INDEX_DIR, `${name}.schema.json`)), `${name}.schema.json`).toBe(true);
    expect(existsSync(path.join(INDEX_DIR, `${name}.index.json`)), `${name}.index.json`).toBe(true);
    const schema = read(`${name}.schema.json`);
    expect(Array.isArray(read(`${name}.index.json`))).toBe(true);
    for (const op of ['create', 'update', 'delete']) expect(schema.permission[op], `${name} ${op}`).toBe(false);
    const ownerRead = ['payment_orders', 'refund_records', 'vk_pay_points'];
    expect(schema.permission.read).toBe(ownerRead.includes(name) ? 'doc.user_id == auth.uid' : false);
    for (const [field, def] of Object.entries<Record<string, unknown>>(schema.properties)) expect(typeof def.title, `${name}.${field} title`).toBe('string');
  });

  it('orders and refunds declare the timer fields; orders have the indexes the timer scans use', () => {
    for (const name of [COLLECTIONS.orders, COLLECTIONS.refunds]) {
      for (const f of SYNC_FIELDS) expect(read(`${name}.schema.json`).properties, `${name}.${f}`).toHaveProperty(f);
    }
    const orderIdx = (loadIndexSpecs(INDEX_DIR).get(COLLECTIONS.orders) ?? []).map((s) => s.fields.join('+'));
    expect(orderIdx).toEqual(expect.arrayContaining(['status+closed_at', 'status+sync_next_at']));
  });

  it('after the whole flow, every stored field is declared in its collection schema', async () => {
    receiver = await startReceiver();
    h = await startSyncHarness({
      config: { hooks: { maxAttempts: 1, backoffMs: [0] }, alerts: { webhooks: [{ kind: 'generic', url: `${receiver.base}/generic` }] } },
      deps: { hooks: { modules: { recharge: require(path.join(HOOKS_DIR, 'recharge.js')), goods: { onPaid() { throw new Error('crm down'); } } } } },
    });
    // notified payment (recharge hook credits points), then a refund whose notification is lost
    const paid = await createOrder(h, { uid: 'ann', amount: 500 });
    h.sandbox.control.pay('wxpay', paid, 'success');
    await h.sandbox.control.settled(5000);
    // a goods order whose hook fails once and is dead-lettered (maxAttempts 1)
    const goods = await h.call<{ out_trade_no: string }>('createPayment', { provider: 'alipay', pay_type: 'qr', type: 'goods', goods_id: 'cup' }, { uid: 'bob' });
    h.sandbox.control.pay('alipay', goods.out_trade_no, 'success');
    await h.sandbox.control.settled(5000);
    h.sandbox.control.setFaults('wxpay', { unreachable: true });
    await h.call('refund', { out_trade_no: paid, amount: 100, out_refund_no: `${paid}-r1` }, { admin: true });
    await h.t.dao.update({ dbName: COLLECTIONS.refunds, whereJson: { out_refund_no: `${paid}-r1` }, dataJson: { create_date: Date.now() - 5 * 60_000 } });
    // lost notification (repaired by the timer), an expired unpaid order (closed by the timer)
    const lost = await createOrder(h, { uid: 'cat', amount: 70 });
    await payWithLostNotification(h, lost);
    await age(h, lost, 5 * 60_000);
    const expired = await createOrder(h, { uid: 'dan', amount: 80 });
    await age(h, expired, 5 * 60_000, { expired: true });
    // a forged notification: refused, counted (vk_pay_notify_rejections) and sampled in payment_errors
    expect((await h.notify('wxpay', { headers: { 'wechatpay-signature': 'forged', 'wechatpay-timestamp': String(Math.floor(Date.now() / 1000)), 'wechatpay-nonce': 'n', 'wechatpay-serial': 'x' }, rawBody: '{"id":"forged"}' })).statusCode).toBeGreaterThanOrEqual(400);
    // a genuine notification for an order this database does not have: an orphan payment (payment_transactions)
    const ghost = { ...paidSandboxOrder(h, 'wxpay', paid), refunded: 0, out_trade_no: '20260101029999999999', transaction_id: `4200${Date.now()}` };
    expect((await h.notify('wxpay', signedNotification(h.creds, 'wxpay', ghost))).statusCode).toBe(200);

    const summary = await createSyncTimerForCore(h.core.ctx).runSync();
    expect(summary).toMatchObject({ repaired: 1, closed: 1, refunds_updated: 1 });
    expect(receiver.hits.length).toBeGreaterThan(0); // alerts were delivered (delivered_at, delivery written)
    const kinds = (await rows<{ kind: string }>(h, COLLECTIONS.alerts)).map((a) => a.kind);
    expect(kinds).toEqual(expect.arrayContaining(['status_mismatch', 'hook_dead_letter']));

    const undeclared: string[] = [];
    let docs = 0;
    for (const name of names) {
      const declared = read(`${name}.schema.json`).properties as Record<string, unknown>;
      for (const doc of await rows(h, name)) {
        docs++;
        for (const field of Object.keys(doc)) if (field !== '_id' && !(field in declared)) undeclared.push(`${name}.${field}`);
      }
    }
    expect([...new Set(undeclared)].sort()).toEqual([]);
    // the run really touched every collection the check relies on
    for (const name of [COLLECTIONS.orders, COLLECTIONS.refunds, COLLECTIONS.rejections, COLLECTIONS.alerts, ALERT_KINDS_COLLECTION, COLLECTIONS.errors, COLLECTIONS.logs, COLLECTIONS.points, COLLECTIONS.transactions, COLLECTIONS.notifications, COLLECTIONS.rateLimits]) {
      expect((await rows(h, name)).length, name).toBeGreaterThan(0);
    }
    expect(docs).toBeGreaterThan(20);
  });
});
