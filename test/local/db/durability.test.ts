import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLocalDatabase } from '../../../local/db/index';
import { FIXTURE_INDEX_DIR, openTempDb, type TempDb } from './helpers';

describe('durability', () => {
  let t: TempDb;
  beforeEach(async () => { t = await openTempDb(); });
  afterEach(async () => { await t.dispose(); });

  it('close + reopen keeps documents, updates and unique indexes', async () => {
    const c = t.db.collection('orders');
    const { id } = await c.add({ out_trade_no: 'P1', status: 'pending' });
    await c.where({ _id: id, status: 'pending' }).update({ status: 'paid' });
    await c.add({ out_trade_no: 'P2' });
    await c.where({ out_trade_no: 'P2' }).remove();
    const db = await t.reopen();
    expect((await db.collection('orders').doc(id).get()).data[0]).toMatchObject({ out_trade_no: 'P1', status: 'paid' });
    expect((await db.collection('orders').count()).total).toBe(1);
    await expect(db.collection('orders').add({ out_trade_no: 'P1' })).rejects.toMatchObject({ code: 11000 });
    await expect(db.collection('orders').add({ out_trade_no: 'P2' })).resolves.toHaveProperty('id');
  });

  it('close() is idempotent and writes acknowledged just before it survive', async () => {
    const c = t.db.collection('things');
    await Promise.all(Array.from({ length: 100 }, (_, i) => c.add({ i })));
    await Promise.all([t.db.close(), t.db.close()]);
    const db = await openLocalDatabase({ path: join(t.dir, 'db'), indexDir: FIXTURE_INDEX_DIR });
    expect((await db.collection('things').count()).total).toBe(100);
    t.db = db;
  });
});

describe('a process killed with SIGKILL in the middle of writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vkpay-kill-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a database that reopens, reads cleanly and holds every acknowledged write', async () => {
    const path = join(dir, 'db');
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, '../../fixtures/db/kill-writer.ts'), path, FIXTURE_INDEX_DIR], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acked = 0;
    let stderr = '';
    child.stderr.on('data', (b) => { stderr += String(b); });
    let killTimer: NodeJS.Timeout | undefined;
    await new Promise<void>((done, fail) => {
      child.stdout.on('data', (b: Buffer) => {
        for (const m of String(b).matchAll(/acked (\d+)/g)) acked = Math.max(acked, Number(m[1]));
        // The child never pauses between bursts, so a kill a few ms later lands while commits are in flight.
        if (acked >= 300 && !killTimer) killTimer = setTimeout(() => child.kill('SIGKILL'), 5 + Math.floor(Math.random() * 20));
      });
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? done() : fail(new Error(`child exited ${code}: ${stderr}`))));
    });

    const db = await openLocalDatabase({ path, indexDir: FIXTURE_INDEX_DIR });
    try {
      const c = db.collection('orders');
      const total = (await c.count()).total;
      expect(total).toBeGreaterThanOrEqual(acked);
      // every acknowledged write is there, paid
      const paid = (await c.where({ seq: db.command.lte(acked), status: 'paid' }).count()).total;
      expect(paid).toBe(acked);
      // every document decodes, in full, and the unique index agrees with the data
      let read = 0;
      for (let skip = 0; skip < total; skip += 500) {
        const { data } = await c.orderBy('seq', 'asc').skip(skip).limit(500).get();
        for (const d of data) {
          expect(d.out_trade_no).toBe(`K${d.seq}`);
          expect(d.blob).toHaveLength(500);
        }
        read += data.length;
      }
      expect(read).toBe(total);
      const probe = (await c.where({ out_trade_no: `K${acked}` }).get()).data;
      expect(probe).toHaveLength(1);
      await expect(c.add({ out_trade_no: `K${acked}` })).rejects.toMatchObject({ code: 11000 });
      // and it still takes writes
      await expect(c.add({ out_trade_no: 'after-kill' })).resolves.toHaveProperty('id');
    } finally {
      await db.close();
    }
  });
});
