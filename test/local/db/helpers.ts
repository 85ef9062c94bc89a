/** A fresh embedded database in its own temp directory, with the index fixtures of test/fixtures/db. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openLocalDatabase, type LocalDatabase } from '../../../local/db/index';

export const FIXTURE_INDEX_DIR = resolve(__dirname, '../../fixtures/db');

export interface TempDb { db: LocalDatabase; dir: string; reopen(): Promise<LocalDatabase>; dispose(): Promise<void> }

export async function openTempDb(): Promise<TempDb> {
  const dir = mkdtempSync(join(tmpdir(), 'vkpay-db-'));
  const path = join(dir, 'db');
  const t: TempDb = {
    db: await openLocalDatabase({ path, indexDir: FIXTURE_INDEX_DIR }),
    dir,
    async reopen() {
      await t.db.close();
      t.db = await openLocalDatabase({ path, indexDir: FIXTURE_INDEX_DIR });
      return t.db;
    },
    async dispose() {
      await t.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
