// The values the uploaded function's `uniCloud` exchanges with the test process over Node's IPC channel, which
// carries JSON: `undefined` (a where() condition the embedded database refuses rather than widening the match),
// dates, regular expressions, bytes and non-finite numbers are tagged so they arrive as they left; a db.command
// value travels as the list of calls that made it and is rebuilt on the receiving side. Anything else that is
// not plain data (a function, a class instance) is refused loudly instead of arriving changed.
// Plain CommonJS with nothing but Node's own modules: the child side runs on Node 16.
'use strict';

const TAG = '$$ipc';

function isPlainObject(v) {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** `hooks.commandSteps(v)` returns the recorded calls of a db.command value, or undefined for anything else. */
function encode(value, hooks, where) {
  where = where || 'value';
  if (value === undefined) return { [TAG]: 'undefined' };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { [TAG]: 'number', v: String(value) };
  const steps = hooks && hooks.commandSteps ? hooks.commandSteps(value) : undefined;
  if (steps) return { [TAG]: 'command', steps: steps.map(([name, args]) => [name, args === null ? null : encode(args, hooks, where)]) };
  if (value instanceof Date) return { [TAG]: 'date', v: value.getTime() };
  if (value instanceof RegExp) return { [TAG]: 'regexp', source: value.source, flags: value.flags };
  if (value instanceof Uint8Array) return { [TAG]: 'bytes', v: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map((v, i) => encode(v, hooks, `${where}[${i}]`));
  if (isPlainObject(value)) {
    const out = {};
    for (const key of Object.keys(value)) out[key] = encode(value[key], hooks, `${where}.${key}`);
    return out;
  }
  const kind = typeof value === 'object' ? (value.constructor && value.constructor.name) || 'object' : typeof value;
  throw new TypeError(`cannot send ${where} (a ${kind}) across the uniCloud IPC channel`);
}

/** `hooks.command(steps)` rebuilds a db.command value from its recorded calls. */
function decode(value, hooks) {
  if (Array.isArray(value)) return value.map((v) => decode(v, hooks));
  if (!isPlainObject(value)) return value;
  const tag = value[TAG];
  if (tag === 'undefined') return undefined;
  if (tag === 'number') return Number(value.v);
  if (tag === 'date') return new Date(value.v);
  if (tag === 'regexp') return new RegExp(value.source, value.flags);
  if (tag === 'bytes') return Buffer.from(value.v, 'base64');
  if (tag === 'command') {
    if (!hooks || !hooks.command) throw new TypeError('a db.command value arrived where none is expected');
    return hooks.command(value.steps.map(([name, args]) => [name, args === null ? null : decode(args, hooks)]));
  }
  const out = {};
  for (const key of Object.keys(value)) out[key] = decode(value[key], hooks);
  return out;
}

/** An error as data: its name, message and code (11000 for a duplicate key) survive; the stack stays behind. */
function encodeError(err) {
  const e = err && typeof err === 'object' ? err : { message: String(err) };
  const out = { name: String(e.name || 'Error'), message: String(e.message || e) };
  if (e.code !== undefined) out.code = e.code;
  if (e.status !== undefined) out.status = e.status;
  return out;
}

function decodeError(data, prefix) {
  const err = new Error((prefix || '') + data.message);
  err.name = data.name;
  if (data.code !== undefined) err.code = data.code;
  if (data.status !== undefined) err.status = data.status;
  return err;
}

module.exports = { encode, decode, encodeError, decodeError };
