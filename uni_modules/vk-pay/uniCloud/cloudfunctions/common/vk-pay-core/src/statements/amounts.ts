/**
 * Statement amounts are yuan text with an optional sign ("-1.00" on Alipay refund rows, fees printed negative
 * by some bills). Parsed exactly to integer fen: no floating point ever touches money. WeChat prints fees to
 * five decimals ("0.07000"); a fee is settled in whole fen, so fee cells may carry more decimals and are
 * rounded half up to the fen, while every other amount must be whole fen.
 */
import { StatementFormatError } from './types';

const SIGNED_YUAN = /^([+-]?)(\d{1,12})(?:\.(\d{1,5}))?$/;

/** "-12.3" -> -1230; an empty cell is 0 (optional columns left blank); anything else throws StatementFormatError. */
export function statementFen(text: string, column: string, opts: { fee?: boolean } = {}): number {
  const s = text.trim();
  if (s === '') return 0;
  const m = SIGNED_YUAN.exec(s);
  const frac = ((m?.[3] ?? '') + '00000').slice(0, 5);
  if (!m || (!opts.fee && !/^\d\d000$/.test(frac))) throw new StatementFormatError(`column ${column}: not an amount: ${JSON.stringify(s.slice(0, 40))}`);
  const fen = Number(m[2]) * 100 + Number(frac.slice(0, 2)) + (Number(frac.slice(2)) >= 500 ? 1 : 0);
  return m[1] === '-' ? -fen : fen;
}
