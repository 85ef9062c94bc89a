/** The data-access layer: the `vk.baseDao`-compatible interface and its implementation over `uniCloud.database()`. */
export type { BaseDao, SelectResult, SortArr } from './types';
export { createBaseDao, formatAddTime } from './base-dao';
