/** Money is integer fen everywhere in storage and in the core; yuan strings exist only at the Alipay edge. */

const YUAN_PATTERN = /^(0|[1-9]\d{0,11})(\.\d{1,2})?$/;

/** "12.30" -> 1230, exactly (no floating point). Throws on anything that is not a plain non-negative yuan amount. */
export function yuanToFen(yuan: string): number {
  if (typeof yuan !== 'string' || !YUAN_PATTERN.test(yuan)) throw new RangeError(`not a yuan amount: ${JSON.stringify(yuan)}`);
  const [int, frac = ''] = yuan.split('.');
  return Number(int) * 100 + Number((frac + '00').slice(0, 2));
}

/** 1230 -> "12.30". */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`not a fen amount: ${fen}`);
  const int = Math.floor(fen / 100);
  const frac = fen % 100;
  return `${int}.${frac < 10 ? '0' : ''}${frac}`;
}

export function isFen(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
