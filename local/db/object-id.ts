/**
 * `_id`s as uniCloud (Aliyun, MongoDB) makes them: 24 hex characters of an ObjectId, i.e. 4 bytes of seconds,
 * 5 random bytes per process and a 3-byte counter, so ids created later sort after earlier ones in one process.
 */
import { randomBytes } from 'node:crypto';

const processPart = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

export function newObjectId(now = Date.now()): string {
  counter = (counter + 1) % 0xffffff;
  const seconds = Math.floor(now / 1000).toString(16).padStart(8, '0');
  return seconds + processPart + counter.toString(16).padStart(6, '0');
}
