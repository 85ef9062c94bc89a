/**
 * The server-side payout API for business code (a withdrawal approved by the merchant's own logic). It runs the
 * same service as the admin methods; bad input is refused with its table code and logged to payment_errors.
 */
import { toVkPayError } from '../../../../../../../common/errors';
import { writePaymentError } from '../../logging/logs';
import type { CoreContext } from '../context';
import type { TransferView } from './record';
import { cancelTransfer, queryTransfer, requestTransfer } from './service';

export interface TransferApi {
  transfer(params: Record<string, unknown>): Promise<TransferView>;
  queryTransfer(params: { out_bill_no: string }): Promise<TransferView>;
  cancelTransfer(params: { out_bill_no: string }): Promise<TransferView>;
}

export function createTransferApi(ctx: CoreContext): TransferApi {
  const guarded = <P, R>(action: string, fn: (p: P) => Promise<R>) => async (p: P): Promise<R> => {
    try {
      return await fn(p);
    } catch (err) {
      await writePaymentError(ctx, { action: `server.${action}`, error: err, input: p });
      throw toVkPayError(err);
    }
  };
  return {
    transfer: guarded('transfer', (p: Record<string, unknown>) => requestTransfer(ctx, p, 'server')),
    queryTransfer: guarded('queryTransfer', (p: { out_bill_no: string }) => queryTransfer(ctx, p)),
    cancelTransfer: guarded('cancelTransfer', (p: { out_bill_no: string }) => cancelTransfer(ctx, p)),
  };
}
