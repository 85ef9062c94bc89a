/**
 * `createBaseDao(db)`: VK's `vk.baseDao` semantics over any `uniCloud.database()` (the real one on uniCloud, the
 * embedded one on the local host). Inside the VK framework the plugin is given VK's own `vk.baseDao` instead, so
 * this file must behave like it: same parameters, same return shapes, same refusals (docs/ARCHITECTURE.md, "Data access").
 */
import { ParamError } from '../../../../../../common/errors';
import type { Database, Doc, Query } from '../platform/database';
import type { BaseDao, SelectResult, SortArr } from './types';

/** Rows per request when a page is larger than one query may return (uniCloud Aliyun caps `limit` at 500). */
const CHUNK = 500;

function isEmpty(o: Record<string, any> | undefined | null): boolean {
  return !o || typeof o !== 'object' || Object.keys(o).length === 0;
}

/** `_add_time_str` as VK writes it: the creation time in Beijing time (UTC+8), `yyyy-MM-dd hh:mm:ss`. */
export function formatAddTime(ms: number): string {
  return new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
}

function withAddTime(data: Record<string, any>, p: { cancelAddTime?: boolean; cancelAddTimeStr?: boolean }, now: number): Record<string, any> {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new ParamError('dataJson must be an object');
  if (p.cancelAddTime) return { ...data };
  const out: Record<string, any> = { ...data, _add_time: now };
  if (!p.cancelAddTimeStr) out._add_time_str = formatAddTime(now);
  return out;
}

function applySort<T>(q: Query<T>, sortArr?: SortArr): Query<T> {
  let out = q;
  for (const s of sortArr ?? []) out = out.orderBy(s.name, s.type === 'desc' ? 'desc' : 'asc');
  return out;
}

function baseQuery<T>(db: Database, dbName: string, whereJson?: Record<string, any>): Query<T> {
  const c = db.collection<T>(dbName);
  return isEmpty(whereJson) ? c : c.where(whereJson as Record<string, any>);
}

/** Reads `count` rows from `skip` on (Infinity = to the end), in requests no larger than CHUNK. */
async function readRange<T>(q: Query<T>, skip: number, count: number): Promise<T[]> {
  const rows: T[] = [];
  while (rows.length < count) {
    const want = Math.min(CHUNK, count - rows.length);
    let page = q.limit(want);
    if (skip + rows.length > 0) page = page.skip(skip + rows.length);
    const { data } = await page.get();
    rows.push(...data);
    if (data.length < want) break;
  }
  return rows;
}

export function createBaseDao(defaultDb: Database): BaseDao {
  const dbOf = (p: { db?: Database }) => p.db ?? defaultDb;

  const requireWhere = (op: string, whereJson: Record<string, any> | undefined) => {
    if (isEmpty(whereJson)) throw new ParamError(`baseDao.${op}: whereJson must not be empty`);
  };
  const cleanData = (op: string, dataJson: Record<string, any>) => {
    if (isEmpty(dataJson)) throw new ParamError(`baseDao.${op}: dataJson must not be empty`);
    const { _id: _dropped, ...rest } = dataJson; // _id is immutable; VK strips it before updating
    if (Object.keys(rest).length === 0) throw new ParamError(`baseDao.${op}: dataJson has nothing but _id`);
    return rest;
  };

  const dao: BaseDao = {
    async add(p) {
      const res = await dbOf(p).collection(p.dbName).add(withAddTime(p.dataJson, p, Date.now()));
      return res.id ?? null;
    },

    async adds(p) {
      if (!Array.isArray(p.dataJson) || p.dataJson.length === 0) throw new ParamError('baseDao.adds: dataJson must be a non-empty array');
      const now = Date.now();
      const res = await dbOf(p).collection(p.dbName).add(p.dataJson.map((d) => withAddTime(d, p, now)));
      return res.ids ?? null;
    },

    async del(p) {
      // Deleting everything must be explicit: whereJson {_id: _.exists(true)}.
      requireWhere('del', p.whereJson);
      return (await dbOf(p).collection(p.dbName).where(p.whereJson).remove()).deleted;
    },

    async deleteById(p) {
      if (!p.id) throw new ParamError('baseDao.deleteById: id is required');
      return (await dbOf(p).collection(p.dbName).doc(p.id).remove()).deleted;
    },

    async update(p) {
      requireWhere('update', p.whereJson);
      const data = cleanData('update', p.dataJson);
      return (await dbOf(p).collection(p.dbName).where(p.whereJson).update(data)).updated;
    },

    async updateById(p) {
      if (!p.id) throw new ParamError('baseDao.updateById: id is required');
      const data = cleanData('updateById', p.dataJson);
      const db = dbOf(p);
      const { updated } = await db.collection(p.dbName).doc(p.id).update(data);
      if (!p.getUpdateData) return updated;
      // As in VK: update, then read (not atomic; use updateAndReturn when that matters).
      return (await db.collection(p.dbName).doc(p.id).get()).data[0] ?? null;
    },

    async updateAndReturn<T = Doc>(p: { dbName: string; whereJson: Record<string, any>; dataJson: Record<string, any>; db?: Database }) {
      requireWhere('updateAndReturn', p.whereJson);
      const data = cleanData('updateAndReturn', p.dataJson);
      const res = await dbOf(p).collection<T>(p.dbName).where(p.whereJson).updateAndReturn(data);
      return res.doc ?? null;
    },

    async findById<T = Doc>(p: { dbName: string; id: string; fieldJson?: Record<string, boolean>; db?: Database }) {
      if (!p.id) throw new ParamError('baseDao.findById: id is required');
      let q = dbOf(p).collection<T>(p.dbName).where({ _id: p.id });
      if (!isEmpty(p.fieldJson)) q = q.field(p.fieldJson as Record<string, boolean>);
      return (await q.limit(1).get()).data[0] ?? null;
    },

    async findByWhereJson<T = Doc>(p: { dbName: string; whereJson: Record<string, any>; fieldJson?: Record<string, boolean>; sortArr?: SortArr; db?: Database }) {
      requireWhere('findByWhereJson', p.whereJson);
      let q = applySort(baseQuery<T>(dbOf(p), p.dbName, p.whereJson), p.sortArr);
      if (!isEmpty(p.fieldJson)) q = q.field(p.fieldJson as Record<string, boolean>);
      return (await q.limit(1).get()).data[0] ?? null;
    },

    async select<T = Doc>(p: {
      dbName: string; whereJson?: Record<string, any>; fieldJson?: Record<string, boolean>; sortArr?: SortArr;
      pageIndex?: number; pageSize?: number; getCount?: boolean; db?: Database;
    }): Promise<SelectResult<T>> {
      const pageIndex = p.pageIndex ?? 1;
      const pageSize = p.pageSize ?? 10;
      if (!Number.isInteger(pageIndex) || pageIndex < 1) throw new ParamError('baseDao.select: pageIndex must be a positive integer');
      if (!Number.isInteger(pageSize) || (pageSize < 1 && pageSize !== -1)) throw new ParamError('baseDao.select: pageSize must be a positive integer or -1');
      const getCount = p.getCount === true;
      let q = applySort(baseQuery<T>(dbOf(p), p.dbName, p.whereJson), p.sortArr);
      if (!isEmpty(p.fieldJson)) q = q.field(p.fieldJson as Record<string, boolean>);

      const all = pageSize === -1;
      const skip = all ? 0 : (pageIndex - 1) * pageSize;
      const rows = await readRange(q, skip, all ? Infinity : pageSize);
      let total: number;
      let hasMore: boolean;
      if (getCount) {
        total = (await baseQuery(dbOf(p), p.dbName, p.whereJson).count()).total;
        hasMore = !all && skip + rows.length < total;
      } else {
        total = skip + rows.length;
        // Without a count, one more row past the page tells whether another page exists.
        hasMore = !all && rows.length === pageSize && (await readRange(q, skip + pageSize, 1)).length > 0;
      }
      return { rows, total, hasMore, pagination: { pageIndex, pageSize }, getCount };
    },

    async count(p) {
      return (await baseQuery(dbOf(p), p.dbName, p.whereJson).count()).total;
    },

    async sum(p) {
      if (!p.fieldName) throw new ParamError('baseDao.sum: fieldName is required');
      const db = dbOf(p);
      const $ = db.command.aggregate;
      let agg = db.collection(p.dbName).aggregate();
      if (!isEmpty(p.whereJson)) agg = agg.match(p.whereJson as Record<string, any>);
      const { data } = await agg.group({ _id: null, sum: $.sum(`$${p.fieldName}`) }).end();
      return Number(data[0]?.sum ?? 0);
    },
  };
  return dao;
}
