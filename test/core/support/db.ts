/**
 * The embedded database for core tests: a fresh lmdb directory per test, the repository's index files (so the
 * unique indexes the core relies on are enforced), and a BaseDao that counts its round trips.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openLocalDatabase, type LocalDatabase } from '../../../local/db/index';
import { createBaseDao } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/dao/index';
import type { BaseDao } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/dao/types';

export const REPO = path.resolve(__dirname, '../../..');
export const INDEX_DIR = path.join(REPO, 'uni_modules/vk-pay/uniCloud/database');
export const HOOKS_DIR = path.join(REPO, 'uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-hooks');

export interface CountingDao {
  dao: BaseDao;
  /** calls by `<method>:<collection>` */
  calls: Map<string, number>;
  total(filter?: (method: string, collection: string) => boolean): number;
  /**
   * SEQUENTIAL round trips since the last reset: each call is one round trip deeper than the deepest call that
   * had completed when it started (it may depend on any of those), so calls issued together count once and a
   * call made after another returned counts after it. On uniCloud each level is one network round trip.
   */
  depth(): number;
  /** every call since the last reset, with its depth, in start order */
  trace(): Array<{ call: string; depth: number }>;
  reset(): void;
}

/** Wraps a BaseDao so a test can count database round trips (each call is one on uniCloud). */
export function countingDao(inner: BaseDao): CountingDao {
  const calls = new Map<string, number>();
  let completed = 0;
  let deepest = 0;
  let log: Array<{ call: string; depth: number }> = [];
  const dao = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (p: { dbName?: string }) => {
        const key = `${String(prop)}:${p?.dbName ?? '?'}`;
        calls.set(key, (calls.get(key) ?? 0) + 1);
        const depth = completed + 1;
        deepest = Math.max(deepest, depth);
        log.push({ call: key, depth });
        return Promise.resolve(v.call(target, p)).finally(() => { completed = Math.max(completed, depth); });
      };
    },
  });
  return {
    dao,
    calls,
    total(filter) {
      let n = 0;
      for (const [k, c] of calls) {
        const [m, coll] = k.split(':');
        if (!filter || filter(m, coll)) n += c;
      }
      return n;
    },
    depth: () => deepest,
    trace: () => [...log],
    reset: () => { calls.clear(); completed = 0; deepest = 0; log = []; },
  };
}

export interface TestDb { db: LocalDatabase; dao: BaseDao; counting: CountingDao; dir: string; close(): Promise<void> }

export async function openTestDb(): Promise<TestDb> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vkpay-core-'));
  const db = await openLocalDatabase({ path: path.join(dir, 'db'), indexDir: INDEX_DIR });
  const counting = countingDao(createBaseDao(db));
  return {
    db, dao: counting.dao, counting, dir,
    async close() {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** All documents of a collection (tests only). */
export async function all<T = Record<string, any>>(db: LocalDatabase, name: string): Promise<T[]> {
  return (await db.collection<T>(name).limit(1000).get()).data;
}
