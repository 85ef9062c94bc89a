/**
 * The recharge amount as the person types it, checked against the limits getPayOptions answered, before anything
 * is sent: integer fen from yuan with at most two decimals, within [min, max].
 */
export type AmountProblem = { kind: 'format' } | { kind: 'min' | 'max'; limit: number };

/** Integer fen from "12", "12.3" or "12.34"; undefined for anything else or for 0. */
export function parseYuan(text: string): number | undefined {
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(fen) && fen > 0 ? fen : undefined;
}

export function validateAmount(text: string, rule: { min: number; max: number } | undefined): AmountProblem | null {
  const fen = parseYuan(text);
  if (fen === undefined) return { kind: 'format' };
  if (rule && fen < rule.min) return { kind: 'min', limit: rule.min };
  if (rule && fen > rule.max) return { kind: 'max', limit: rule.max };
  return null;
}
