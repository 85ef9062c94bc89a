/**
 * The payer's id per user and app (DESIGN/CONTRACTS section 12): `getOpenid` exchanges a login code at the
 * provider and keeps the answer in `vk_pay_openids` (one document per user_id + app_id), and createPayment takes
 * the payer id of mp/jsapi orders from there, so neither the person nor the app ever hands us an openid.
 *
 * Nothing is stored when the exchange fails (an invalid, reused or foreign code is the provider's refusal, kept in
 * the error row by the API wrapper). The mini-program session key is stored beside the openid, encrypted under
 * `userInfoKey` when one is configured, and never returned or logged: WeChat's virtual payment signs with it.
 */
import { z } from 'zod';
import { ParamError, PermissionError } from '../../../../../../common/errors';
import type { Identity } from '../auth/identity';
import { isDuplicateKeyError } from '../platform/database';
import { definitionOf, payTypeSpec } from '../providers/registry';
import type { Channel, PayerLogin, PayType } from '../providers/types';
import { decryptUserInfo, encryptUserInfo, type EncryptedBlob } from '../logging/user-info-crypto';
import { COLLECTIONS } from '../state/collections';
import { channelOf, isChannelConfigured, type CoreContext } from './context';
import { chooseMerchant, DEFAULT_MERCHANT, merchantSection } from '../config/merchants';
import { parseParams, providerName } from './validate';

export interface PayerIdDoc {
  _id?: string;
  user_id: string;
  provider: string;
  pay_type: string;
  app_id: string;
  openid: string;
  unionid?: string;
  session_key?: EncryptedBlob | string;
  session_key_at?: number;
  create_date: number;
  update_date: number;
}

export const getOpenidParams = z.object({
  provider: providerName,
  pay_type: z.string().min(1).max(16),
  code: z.string().trim().min(1, 'code is required').max(256),
  /**
   * The order type (and catalog item) the payer is about to pay for: with several merchants per channel, the
   * config's `merchantFor` rule picks the merchant, whose app the code is exchanged with (config/merchants.ts).
   * A function rule is asked with amount 0: the amount is not known yet.
   */
  type: z.string().min(1).max(64).optional(),
  goods_id: z.string().min(1).max(64).optional(),
});

/** The app a payer of this merchant pays in for a pay type (its own section's payerAppId). */
function payerAppIdOf(ctx: CoreContext, channel: Channel, payType: string, merchant: string): string {
  const section = merchantSection(ctx.config, channel, merchant);
  const definition = definitionOf(channel);
  if (!section || !definition.payerAppId) throw new ParamError(`merchant ${merchant} of ${channel} is not configured`);
  return definition.payerAppId(section, payType);
}

/** The channel and app a payer-id pay type pays through; ParamError when the pay type needs no payer id. */
export function payerAppOf(ctx: CoreContext, provider: string, payType: string, merchant: string = DEFAULT_MERCHANT): { channel: Channel; app_id: string } {
  const channel = channelOf(ctx.config, provider);
  if (!isChannelConfigured(ctx.config, channel)) throw new ParamError(`provider ${provider} is not configured`);
  const spec = payTypeSpec(channel, payType);
  const definition = definitionOf(channel);
  if (!spec?.needsPayerId || !definition.payerAppId) throw new ParamError(`pay_type ${payType} of ${provider} pays without an openid: no login code is needed`);
  return { channel, app_id: payerAppIdOf(ctx, channel, payType, merchant) };
}

export async function getOpenid(ctx: CoreContext, who: Identity, rawParams: unknown): Promise<{ openid: string }> {
  const p = parseParams(getOpenidParams, rawParams);
  const merchant = p.type ? chooseMerchant(ctx.config, channelOf(ctx.config, p.provider), { type: p.type, goods_id: p.goods_id, user_id: who.uid, amount: 0 }) : DEFAULT_MERCHANT;
  const { channel, app_id } = payerAppOf(ctx, p.provider, p.pay_type, merchant);
  const provider = ctx.provider(channel, merchant);
  if (!provider.exchangeLoginCode) throw new ParamError(`${p.provider} cannot exchange login codes`);
  const login = await provider.exchangeLoginCode({ pay_type: p.pay_type as PayType, code: p.code });
  // the provider answers for the app it was asked about; anything else is a configuration mix-up
  if (login.app_id !== app_id) throw new ParamError(`${p.provider} answered for app ${login.app_id}, expected ${app_id}`);
  await storePayerId(ctx, who.uid, p.provider, p.pay_type, login);
  return { openid: login.openid };
}

async function storePayerId(ctx: CoreContext, user_id: string, provider: string, pay_type: string, login: PayerLogin): Promise<void> {
  const now = ctx.now();
  const set: Record<string, unknown> = { provider, pay_type, openid: login.openid, update_date: now };
  if (login.unionid) set.unionid = login.unionid;
  if (login.session_key) {
    set.session_key = ctx.config.userInfoKey ? encryptUserInfo(login.session_key, ctx.config.userInfoKey) : login.session_key;
    set.session_key_at = now;
  }
  const where = { user_id, app_id: login.app_id };
  // update first (the common case: a returning payer), insert when there is none; a concurrent insert of the same
  // user and app loses on the unique index and becomes the update it should have been
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await ctx.dao.update({ dbName: COLLECTIONS.payerIds, whereJson: where, dataJson: set }) > 0) return;
    try {
      await ctx.dao.add({ dbName: COLLECTIONS.payerIds, dataJson: { ...where, ...set, create_date: now }, cancelAddTime: true });
      return;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
}

export async function findPayerId(ctx: CoreContext, user_id: string, app_id: string): Promise<PayerIdDoc | null> {
  return ctx.dao.findByWhereJson<PayerIdDoc>({ dbName: COLLECTIONS.payerIds, whereJson: { user_id, app_id } });
}

/**
 * The payer id a mp/jsapi order pays with: the one stored for this user and app. A client may still name one
 * (apps that obtained it themselves), but never one stored for another user, and never one other than the
 * user's own stored id for that app.
 */
export async function resolvePayerId(ctx: CoreContext, who: Identity, provider: string, payType: string, given: string | undefined, merchant: string = DEFAULT_MERCHANT): Promise<string | undefined> {
  const channel = channelOf(ctx.config, provider);
  const spec = payTypeSpec(channel, payType);
  const definition = definitionOf(channel);
  if (!spec?.needsPayerId || !definition.payerAppId) return given;
  // the app of the merchant the order goes to (a partner merchant's payer may be its sub-merchant's app's)
  const app_id = payerAppIdOf(ctx, channel, payType, merchant);
  const own = await findPayerId(ctx, who.uid, app_id);
  if (!given) {
    if (!own) throw new ParamError(`no ${provider} openid for this user and app ${app_id}: call getOpenid with a login code first`);
    return own.openid;
  }
  if (own) {
    if (own.openid !== given) throw new PermissionError(`openid does not belong to this user for app ${app_id}`);
    return given;
  }
  const _ = ctx.db.command;
  const other = await ctx.dao.findByWhereJson<PayerIdDoc>({ dbName: COLLECTIONS.payerIds, whereJson: { app_id, openid: given, user_id: _.neq(who.uid) } });
  if (other) throw new PermissionError(`openid belongs to another user for app ${app_id}`);
  return given;
}

/** The mini-program session key stored with the user's openid (for signing WeChat virtual payments); undefined when none. */
export async function sessionKeyOf(ctx: CoreContext, user_id: string, app_id: string): Promise<string | undefined> {
  const doc = await findPayerId(ctx, user_id, app_id);
  const stored = doc?.session_key;
  if (!stored) return undefined;
  return typeof stored === 'string' ? stored : decryptUserInfo<string>(stored, ctx.config.userInfoKey ?? '');
}
