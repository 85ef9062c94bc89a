/**
 * A reconciliation discrepancy's amounts in one line, in yuan: "¥21.00（渠道）vs ¥20.00（本地）". The two sides
 * are stored as the statement's row and our record (statements/compare.ts); only a side with an integer fen
 * `amount` is named, so a kind without one (an order paid twice, totals that disagree) gives '' and the page
 * shows just the folded JSON.
 */
import { t } from '../../../locale';
import { yuan } from './format';

function amountOf(side: unknown): string {
  const a = side && typeof side === 'object' ? (side as { amount?: unknown }).amount : undefined;
  return Number.isSafeInteger(a) ? yuan(a) : '';
}

export function discrepancyAmounts(d: { provider?: unknown; local?: unknown }): string {
  const provider = amountOf(d.provider);
  const local = amountOf(d.local);
  if (provider && local) return t('rec.amounts.both', { provider, local });
  if (provider) return t('rec.amounts.provider', { amount: provider });
  if (local) return t('rec.amounts.local', { amount: local });
  return '';
}
