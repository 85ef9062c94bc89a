/** The parameters of transfer / queryTransfer / cancelTransfer (docs/CONTRACTS.md), every bad field named (40001). */
import { z } from 'zod';
import { fen, providerName } from '../validate';

/** WeChat allows letters and digits only (no `_` or `-`), at most 32; Alipay takes that too. */
export const outBillNo = z.string().trim().regex(/^[0-9A-Za-z]{6,32}$/, 'out_bill_no must be 6-32 letters and digits');

const reportInfo = z.object({ info_type: z.string().trim().min(1).max(15), info_content: z.string().trim().min(1).max(32) }).strict();

export const transferParams = z.object({
  provider: providerName,
  out_bill_no: outBillNo,
  amount: fen,
  /** WeChat: the payee's openid under the merchant's appid */
  openid: z.string().trim().min(1).max(128).optional(),
  /** Alipay (or any channel): the payee's account */
  payee: z.object({
    identity_type: z.string().trim().min(1).max(32),
    identity: z.string().trim().min(1).max(128),
    name: z.string().trim().min(1).max(64).optional(),
  }).strict().optional(),
  /** WeChat: the payee's real name (required by WeChat from 2,000 yuan up; sent encrypted) */
  user_name: z.string().trim().min(1).max(64).optional(),
  remark: z.string().trim().min(1, 'remark is shown to the payee and cannot be empty').max(32, 'remark: at most 32 characters'),
  /** the app's user being paid (the per-user daily limit counts on it) */
  user_id: z.string().trim().min(1).max(64).optional(),
  scene_id: z.string().regex(/^\d{1,16}$/).optional(),
  scene_report_infos: z.array(reportInfo).max(10).optional(),
  /** which of the channel's merchants pays (config/merchants.ts `merchants`); the section's own (`default`) when absent */
  merchant: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'merchant must be a configured merchant name').optional(),
}).strict().refine((p) => Boolean(p.openid) !== Boolean(p.payee), { message: 'give either openid or payee', path: ['payee'] });

export type TransferParams = z.output<typeof transferParams>;

export const transferRefParams = z.object({ out_bill_no: outBillNo }).strict();
