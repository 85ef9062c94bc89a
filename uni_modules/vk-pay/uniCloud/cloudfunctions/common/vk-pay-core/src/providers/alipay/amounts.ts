/** Yuan strings become integer fen here, at the edge, exactly (common/money.ts): never through a float. */
import { ParamError } from '../../../../../../../common/errors';
import { yuanToFen } from '../../../../../../../common/money';

export function fenFromYuan(value: unknown, field: string): number {
  try {
    return yuanToFen(String(value));
  } catch {
    throw new ParamError(`alipay ${field} is not a yuan amount: ${JSON.stringify(value)}`);
  }
}

export function optionalFen(value: unknown, field: string): number | undefined {
  return value === undefined || value === null || value === '' ? undefined : fenFromYuan(value, field);
}
