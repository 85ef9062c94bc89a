/**
 * The embedded `uniCloud.database()` of the local host: uniCloud's API and semantics over lmdb (durable, batched
 * commits, survives a killed process) and mingo (MongoDB query, update and aggregation semantics).
 *
 *   const db = await openLocalDatabase({ path: `${VKPAY_HOME}/db` });
 *   await db.collection('vk-pay-orders').where({ _id, status: 'pending' }).update({ status: 'paid' });
 *
 * Unique indexes come from `<indexDir>/<collection>.index.json` (uniCloud's format) and are enforced with
 * MongoDB's duplicate-key error (code 11000), so `isDuplicateKeyError` works the same here and on uniCloud.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, Doc } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';
import { ParamError } from '../../uni_modules/vk-pay/common/errors';
import { LocalCollection } from './collection';
import { createCommand } from './command';
import { loadIndexSpecs } from './index-spec';
import { DocumentStore } from './store';

export { DuplicateKeyError } from './errors';
export { DEFAULT_LIMIT, MAX_LIMIT } from './collection';

export interface LocalDatabase extends Database {
  close(): Promise<void>;
}

export interface OpenLocalDatabaseOptions {
  /** Directory of the lmdb environment (created if missing), e.g. `${VKPAY_HOME}/db`. */
  path: string;
  /** Folder(s) of `<collection>.index.json` files; defaults to vk-pay's `uni_modules/vk-pay/uniCloud/database`. */
  indexDir?: string | readonly string[];
}

// Works whether this file runs as ESM (vitest) or is transpiled to CommonJS (tsx without "type": "module").
const HERE = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
export const DEFAULT_INDEX_DIR = resolve(HERE, '../../uni_modules/vk-pay/uniCloud/database');

export async function openLocalDatabase(opts: OpenLocalDatabaseOptions): Promise<LocalDatabase> {
  mkdirSync(opts.path, { recursive: true });
  const store = await DocumentStore.open(join(opts.path, 'data.mdb'), loadIndexSpecs(opts.indexDir ?? DEFAULT_INDEX_DIR));
  const command = createCommand();
  let closed: Promise<void> | null = null;
  return {
    command,
    collection<T = Doc>(name: string) {
      if (typeof name !== 'string' || name.length === 0) throw new ParamError('collection(name): a name is required');
      return new LocalCollection<T>(store, name);
    },
    close() {
      closed ??= store.close();
      return closed;
    },
  };
}
