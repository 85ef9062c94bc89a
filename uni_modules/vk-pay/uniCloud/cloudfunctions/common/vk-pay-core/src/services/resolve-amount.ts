/**
 * The amount is decided on the server (docs/RELIABILITY.md section 3: client-controlled amounts let people pay 0.01
 * for anything). Each order type's resolver says how: `client` takes the client's amount within limits
 * (recharge), `catalog` prices by goods_id from the config, `custom` calls the merchant's function.
 */
import { ParamError, VkPayError } from '../../../../../../common/errors';
import { fenToYuan } from '../../../../../../common/money';
import type { OrderResolver, VkPayConfig } from '../config/schema';

export interface ResolvedAmount {
  amount: number;
  subject: string;
  goods_id?: string;
  /** the catalog item itself (catalog types), with the fields providers added (e.g. `appleProductId`) */
  item?: Record<string, unknown>;
}

export async function resolveAmount(
  config: VkPayConfig,
  input: { type: string; amount?: number; goods_id?: string; subject?: string; user_id: string },
): Promise<ResolvedAmount> {
  const typeConfig = Object.prototype.hasOwnProperty.call(config.orderTypes, input.type) ? config.orderTypes[input.type] : undefined;
  if (!typeConfig) throw new ParamError(`type must be one of ${Object.keys(config.orderTypes).join(', ')}`);
  let resolved: ResolvedAmount;
  switch (typeConfig.amount) {
    case 'client': {
      if (input.amount === undefined) throw new ParamError(`amount is required for type ${input.type}`);
      const max = Math.min(typeConfig.max ?? config.maxAmount, config.maxAmount);
      if (input.amount < typeConfig.min || input.amount > max) throw new ParamError(`amount must be between ${typeConfig.min} and ${max} fen`);
      resolved = { amount: input.amount, subject: input.subject ?? typeConfig.subject ?? `${input.type} ${fenToYuan(input.amount)}` };
      break;
    }
    case 'catalog': {
      if (!input.goods_id) throw new ParamError(`goods_id is required for type ${input.type}`);
      const item = Object.prototype.hasOwnProperty.call(typeConfig.catalog, input.goods_id) ? typeConfig.catalog[input.goods_id] : undefined;
      if (!item) throw new ParamError(`goods_id ${input.goods_id} is not in the ${input.type} catalog`);
      if (input.amount !== undefined && input.amount !== item.amount) throw new ParamError(`amount is decided by the server for type ${input.type}`);
      resolved = { amount: item.amount, subject: item.subject, goods_id: input.goods_id, item: { ...item } };
      break;
    }
    case 'custom': {
      let out: Awaited<ReturnType<OrderResolver>>;
      try {
        out = await (typeConfig.resolve as OrderResolver)({ type: input.type, amount: input.amount, goods_id: input.goods_id, subject: input.subject, user_id: input.user_id });
      } catch (err) {
        if (err instanceof VkPayError) throw err;
        throw new ParamError(`order type ${input.type} refused the order: ${(err as Error).message}`);
      }
      if (!out || !Number.isSafeInteger(out.amount) || out.amount <= 0) throw new ParamError(`order type ${input.type} resolved no valid amount`);
      resolved = { amount: out.amount, subject: out.subject || typeConfig.subject || input.type, goods_id: input.goods_id };
      break;
    }
  }
  if (resolved.amount > config.maxAmount) throw new ParamError(`amount must be at most ${config.maxAmount} fen`);
  if (resolved.subject.trim().length < 2) throw new ParamError('subject must be at least 2 characters');
  return resolved;
}
