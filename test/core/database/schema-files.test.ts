/**
 * uniCloud/database: every collection the core writes has a schema (console titles on every field, permissions
 * letting a client read only its own orders) and an index file in uniCloud's format with the unique keys the
 * exactly-once guarantees rest on.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIndexSpecs } from '../../../local/db/index-spec';
import { COLLECTIONS } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/state/collections';
import { INDEX_DIR } from '../support/db';

const read = (f: string) => JSON.parse(readFileSync(path.join(INDEX_DIR, f), 'utf8'));

describe('database files', () => {
  it.each(Object.values(COLLECTIONS))('%s has a titled schema and an index file', (name) => {
    const schema = read(`${name}.schema.json`);
    expect(schema.bsonType).toBe('object');
    expect(typeof schema.description).toBe('string');
    for (const [field, def] of Object.entries<Record<string, unknown>>(schema.properties)) {
      expect(typeof def.title, `${name}.${field} title`).toBe('string');
    }
    expect(schema.permission.create).toBe(false);
    expect(schema.permission.update).toBe(false);
    expect(schema.permission.delete).toBe(false);
    expect(Array.isArray(read(`${name}.index.json`))).toBe(true);
  });

  it('clients read only their own orders, refunds and points; logs, errors and inboxes are admin-only', () => {
    for (const name of ['payment_orders', 'refund_records', 'vk_pay_points']) expect(read(`${name}.schema.json`).permission.read).toBe('doc.user_id == auth.uid');
    for (const name of ['payment_logs', 'payment_errors', 'payment_notifications', 'payment_transactions', 'vk_pay_notify_rejections']) expect(read(`${name}.schema.json`).permission.read).toBe(false);
  });

  it('declares the unique keys of docs/CONTRACTS.md section 10', () => {
    const specs = loadIndexSpecs(INDEX_DIR);
    const unique = (c: string) => (specs.get(c) ?? []).filter((s) => s.unique).map((s) => s.fields.join('+'));
    // transaction_id (sparse: pending orders have none) - one provider payment pays at most one order
    expect(unique('payment_orders')).toEqual(expect.arrayContaining(['out_trade_no', 'dedupe_key', 'transaction_id']));
    expect((specs.get('payment_orders') ?? []).find((s) => s.name === 'transaction_id')).toMatchObject({ unique: true, sparse: true });
    expect(unique('payment_transactions')).toEqual(['provider+transaction_id+action']);
    expect(unique('refund_records')).toEqual(['out_refund_no']);
    expect(unique('payment_notifications')).toEqual(['event_key']);
    // hooks ride on orders and refund records (docs/EXACTLY-ONCE.md); the timer finds due ones by this index
    for (const c of ['payment_orders', 'refund_records']) expect((specs.get(c) ?? []).map((s) => s.fields.join('+'))).toContain('hook_status+hook_next_at');
    expect(unique('vk_pay_notify_rejections')).toEqual(['key']);
    expect(unique('vk_pay_alerts')).toEqual(['dedupe_key']);
    const orderIndexes = (specs.get('payment_orders') ?? []).map((s) => s.fields.join('+'));
    expect(orderIndexes).toEqual(expect.arrayContaining(['user_id+create_date', 'status+create_date', 'transaction_id']));
    expect((specs.get('refund_records') ?? []).map((s) => s.fields.join('+'))).toContain('out_trade_no');
    // every file in the folder parses (a broken one would stop the local host and the uniCloud upload)
    for (const f of readdirSync(INDEX_DIR)) if (f.endsWith('.json')) expect(() => read(f)).not.toThrow();
  });
});
