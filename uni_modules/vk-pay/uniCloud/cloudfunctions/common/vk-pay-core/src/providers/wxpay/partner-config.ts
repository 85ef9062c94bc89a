/**
 * The config fields of WeChat Pay v3 partner (service-provider) mode (partner.ts): `sp_mchid`, `sp_appid`,
 * `sub_mchid` and optionally `sub_appid`, beside the service provider's own keys (`merchant`, `apiV3Key`,
 * `platform`/`verifyKeys`), which sign and verify every call. In partner mode the service provider IS the signing
 * merchant, so `mchId`/`appId` are taken from `sp_mchid`/`sp_appid` (a merchant under `merchants` need not repeat
 * them, and may not keep the direct merchant's it would otherwise inherit from the section).
 *
 * Any one of sp_mchid / sub_mchid / sub_appid makes the section a partner one, and then each missing id is named
 * on its own (`providers.wxpay.merchants.<name>.sub_mchid: required in partner mode ...`) when the config loads.
 */
import { z } from 'zod';
import { nonEmpty } from '../config-fields';

export const wxpayPartnerShape = {
  sp_mchid: nonEmpty.optional(),
  sp_appid: nonEmpty.optional(),
  sub_mchid: nonEmpty.optional(),
  sub_appid: nonEmpty.optional(),
  /** the AppSecret of sub_appid: its payers' login codes are exchanged with it (getOpenid) */
  sub_appsecret: nonEmpty.optional(),
};

const PARTNER_FIELDS = ['sp_mchid', 'sp_appid', 'sub_mchid', 'sub_appid'] as const;

function isPartner(v: Record<string, unknown>): boolean {
  return v.sp_mchid !== undefined || v.sub_mchid !== undefined || v.sub_appid !== undefined;
}

/** Before the fields are checked: a partner section signs as its service provider (mchId/appId = sp_*). */
export function partnerDefaults(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const v = value as Record<string, unknown>;
  if (!isPartner(v)) return value;
  const out: Record<string, unknown> = { ...v };
  if (typeof v.sp_mchid === 'string' && v.sp_mchid) out.mchId = v.sp_mchid;
  if (typeof v.sp_appid === 'string' && v.sp_appid) out.appId = v.sp_appid;
  return out;
}

/** Each id partner mode needs, named on its own; a sub-merchant is never its own service provider. */
export function checkPartner(v: Record<string, unknown>, tctx: z.RefinementCtx): void {
  if (!isPartner(v)) return;
  for (const f of ['sp_mchid', 'sp_appid', 'sub_mchid'] as const) {
    if (v[f] === undefined || v[f] === '') tctx.addIssue({ code: z.ZodIssueCode.custom, path: [f], message: `required in partner mode (${PARTNER_FIELDS.filter((k) => v[k] !== undefined).join(', ')} given)` });
  }
  if (v.sp_mchid !== undefined && v.sp_mchid === v.sub_mchid) tctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sub_mchid'], message: 'is the service provider itself (sp_mchid)' });
}
