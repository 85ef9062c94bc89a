/**
 * The uploaded functions' database is the local host's, reached over IPC (bundle-harness.cjs records the calls,
 * uploaded-runner.ts replays them). That channel must change nothing: the same run of calls (db-probe.cjs: every
 * operator and call shape vk-pay's data layer uses, a duplicate key, an undefined condition) gives the same
 * answers, errors included, from a Node 16 child as from this process on the database directly.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalDatabase, type LocalDatabase } from '../../local/db';
import type { Database } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/database';
import { ensureNodeRuntime, UNICLOUD_NODE_VERSIONS } from './node-runtimes';
import { runUploaded } from './uploaded-runner';

const probe = createRequire(__filename)('./db-probe.cjs') as (db: Database) => Promise<unknown[]>;
let dir: string;
const opened: LocalDatabase[] = [];

async function freshDatabase(name: string): Promise<LocalDatabase> {
  const db = await openLocalDatabase({ path: path.join(dir, name), indexDir: [] });
  opened.push(db);
  return db;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vkpay-ipc-db-'));
  for (const f of ['bundle-harness.cjs', 'wire.cjs', 'db-probe.cjs']) fs.copyFileSync(path.join(__dirname, f), path.join(dir, f));
});

afterAll(async () => {
  for (const db of opened) await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('uniCloud.database() over IPC', () => {
  it(`answers a Node ${UNICLOUD_NODE_VERSIONS[0]} function exactly as the database answers directly`, async () => {
    const direct = await probe(await freshDatabase('direct'));
    const node = (await ensureNodeRuntime(UNICLOUD_NODE_VERSIONS[0])).bin;
    const viaIpc = await runUploaded({ node, harness: path.join(dir, 'bundle-harness.cjs'), fnDir: dir, mode: 'probe', payload: { file: 'db-probe.cjs' }, db: await freshDatabase('ipc'), cwd: dir, env: {} });
    expect(viaIpc.node).toBe(`v${UNICLOUD_NODE_VERSIONS[0]}`);
    // the probe is not trivial: it saw data, a duplicate key (11000) and the refused undefined condition
    const byLabel = Object.fromEntries(direct as [string, any][]);
    expect(byLabel['duplicate _id'].error.code).toBe(11000);
    expect(byLabel['undefined condition'].error).toBeDefined();
    expect(byLabel['aggregate'].ok.data.length).toBeGreaterThan(1);
    expect(byLabel['add one'].ok.id).toBe('a');
    expect(viaIpc.result).toEqual(direct);
  }, 10 * 60_000);
});
