/**
 * The stores the baseDao contract runs against. Each opens a fresh, empty database with the fixture indexes
 * (test/fixtures/db: `orders.out_trade_no` unique). Add an adapter here to hold another store to the same contract.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openLocalDatabase } from '../../../local/db/index';
import type { Database } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';

export interface StoreAdapter {
  name: string;
  open(): Promise<{ db: Database; dispose(): Promise<void> }>;
}

const FIXTURE_INDEX_DIR = resolve(__dirname, '../../fixtures/db');

export const adapters: StoreAdapter[] = [
  {
    name: 'embedded database (local/db, lmdb + mingo)',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'vkpay-dao-'));
      const db = await openLocalDatabase({ path: join(dir, 'db'), indexDir: FIXTURE_INDEX_DIR });
      return { db, async dispose() { await db.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
];
