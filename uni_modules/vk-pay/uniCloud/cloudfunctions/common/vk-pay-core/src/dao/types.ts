/**
 * The `vk.baseDao`-compatible data-access interface (docs/ARCHITECTURE.md, "Data access").
 * Inside the VK framework the plugin is handed VK's own `vk.baseDao`; on plain uniCloud and on the local host
 * it uses `createBaseDao(db)` from this folder. All of the plugin's data access goes through it.
 */
import type { Database, Doc } from '../platform/database';

export type SortArr = Array<{ name: string; type: 'asc' | 'desc' }>;

export interface SelectResult<T = Doc> {
  rows: T[];
  total: number;
  hasMore: boolean;
  pagination: { pageIndex: number; pageSize: number };
  getCount: boolean;
}

export interface BaseDao {
  add(p: { dbName: string; dataJson: Record<string, any>; cancelAddTime?: boolean; cancelAddTimeStr?: boolean; db?: Database }): Promise<string | null>;
  adds(p: { dbName: string; dataJson: Record<string, any>[]; cancelAddTime?: boolean; cancelAddTimeStr?: boolean; db?: Database }): Promise<string[] | null>;
  del(p: { dbName: string; whereJson: Record<string, any>; db?: Database }): Promise<number>;
  deleteById(p: { dbName: string; id: string; db?: Database }): Promise<number>;
  /** Returns the number of updated rows; throws if whereJson or dataJson is empty. */
  update(p: { dbName: string; whereJson: Record<string, any>; dataJson: Record<string, any>; db?: Database }): Promise<number>;
  updateById(p: { dbName: string; id: string; dataJson: Record<string, any>; getUpdateData?: boolean; db?: Database }): Promise<any>;
  updateAndReturn<T = Doc>(p: { dbName: string; whereJson: Record<string, any>; dataJson: Record<string, any>; db?: Database }): Promise<T | null>;
  findById<T = Doc>(p: { dbName: string; id: string; fieldJson?: Record<string, boolean>; db?: Database }): Promise<T | null>;
  findByWhereJson<T = Doc>(p: { dbName: string; whereJson: Record<string, any>; fieldJson?: Record<string, boolean>; sortArr?: SortArr; db?: Database }): Promise<T | null>;
  select<T = Doc>(p: {
    dbName: string; whereJson?: Record<string, any>; fieldJson?: Record<string, boolean>; sortArr?: SortArr;
    pageIndex?: number; pageSize?: number; getCount?: boolean; db?: Database;
  }): Promise<SelectResult<T>>;
  count(p: { dbName: string; whereJson?: Record<string, any>; db?: Database }): Promise<number>;
  sum(p: { dbName: string; fieldName: string; whereJson?: Record<string, any>; db?: Database }): Promise<number>;
}
