/**
 * `transfers`: the limits on payouts (integer fen) and WeChat's transfer scene. A payout is money leaving the
 * merchant, so the limits are checked - and the day's totals reserved by conditional updates - before anything
 * is recorded or sent (services/transfer/quota.ts). Strict: a misspelt limit must not silently become "no limit".
 */
import { z } from 'zod';

const fen = z.number().int().positive();

export const transfersSchema = z.object({
  /** one payout at most (default 2,000 yuan: WeChat wants the payee's real name from there on) */
  maxAmount: fen.default(199_999),
  /** all payouts of one day (Beijing time) together */
  dailyAmount: fen.default(5_000_000),
  /** per payee (the user_id given, else the payee's account) and day */
  perUserDaily: z.object({ amount: fen.default(500_000), count: fen.default(10) }).strict().default({}),
  /** WeChat: the scene granted in the merchant platform (e.g. "1000" cash marketing) and its report infos */
  sceneId: z.string().regex(/^\d{1,16}$/, 'transfers.sceneId must be the digits of a scene id').optional(),
  sceneReportInfos: z.array(z.object({ info_type: z.string().min(1).max(15), info_content: z.string().min(1).max(32) }).strict()).optional(),
  /** the title on the payee's statement (Alipay order_title) */
  title: z.string().min(1).max(64).default('vk-pay'),
  /** how long one sender holds a recorded payout before another may ask the provider about it */
  leaseMs: z.number().int().min(1_000).default(60_000),
  /** open payouts older than this are settled by the timer (queried with their own out_bill_no) */
  staleMs: z.number().int().nonnegative().default(60_000),
}).strict();

export type TransfersConfig = z.output<typeof transfersSchema>;
