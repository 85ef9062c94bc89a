/**
 * The provider registry (providers/registry.ts, providers/definition.ts): the core asks it everything it used to
 * hard-code per channel. These tests hold the rule that makes a provider addable inside providers/ alone - no
 * file of the core outside providers/ names a channel - and check what the core derives from the definitions.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CHANNELS, channelFor, definitionOf, findDefinition, isChannel, PAY_TYPES, PROVIDER_DEFINITIONS, PROVIDER_NAMES,
} from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/registry';
import type { NotificationOutcome, PaymentProvider } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/types';
import { payOptions } from '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/api/methods';
import { startHarness, type Harness } from '../support/harness';

const CORE = path.resolve(__dirname, '../../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('provider registry', () => {
  let h: Harness | undefined;
  afterEach(async () => { await h?.close(); h = undefined; });

  it('every definition is complete and unique; lookups answer only registered channels', () => {
    expect(new Set(CHANNELS).size).toBe(PROVIDER_DEFINITIONS.length);
    for (const def of PROVIDER_DEFINITIONS) {
      // a scanned payment code is read by the shop's device: it opens on no payer's platform, so no checkout offers it
      for (const pt of def.payTypes) {
        if (pt.scanned) expect(pt.platforms, `${def.channel} ${pt.name}`).toEqual([]);
        else expect(pt.platforms.length, `${def.channel} ${pt.name}`).toBeGreaterThan(0);
      }
      expect(PAY_TYPES[def.channel]).toEqual(def.payTypes.map((p) => p.name));
      expect(PROVIDER_NAMES).toContain(def.provider);
      expect(definitionOf(def.channel)).toBe(def);
    }
    for (const bad of ['constructor', '__proto__', 'toString', '', 'WXPAY', 'wxpay/x', undefined, 3]) {
      expect(isChannel(bad), String(bad)).toBe(false);
      expect(findDefinition(bad)).toBeUndefined();
    }
    expect(() => definitionOf('nope')).toThrow(expect.objectContaining({ code: 40001 }));
  });

  it('no core file outside providers/ names a channel (a new provider touches providers/ and the config only)', () => {
    const names = CHANNELS.map((c) => c.replace(/[-]/g, '\\-'));
    const literal = new RegExp(`(['"\`])(${names.join('|')})\\1`);
    const offenders = filesUnder(CORE)
      .filter((f) => f.endsWith('.ts') && !path.relative(CORE, f).startsWith(`providers${path.sep}`))
      // code only: comments may say which channel an example is about
      .filter((f) => literal.test(readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')))
      .map((f) => path.relative(CORE, f));
    expect(offenders).toEqual([]);
  });

  it('a provider name served by several channels is picked by <provider>Channel, else by the default', () => {
    expect(channelFor({}, 'wxpay')).toBe('wxpay');
    expect(channelFor({ wxpayChannel: 'wxpay-v2' }, 'wxpay')).toBe('wxpay-v2');
    expect(channelFor({ wxpayChannel: 'alipay' }, 'wxpay')).toBe('wxpay');
    expect(channelFor({}, 'alipay')).toBe('alipay');
    expect(channelFor({}, 'nope')).toBeUndefined();
  });

  it('getPayOptions lists the configured providers with their pay types and where each opens, from the definitions', async () => {
    h = await startHarness();
    const opts = payOptions(h.core.ctx);
    expect(opts.providers.map((p) => p.provider)).toEqual(PROVIDER_NAMES.filter((n) => opts.providers.some((p) => p.provider === n)));
    for (const p of opts.providers) {
      const def = definitionOf(p.channel);
      expect(p.pay_types).toEqual(def.payTypes.map((t) => t.name));
      for (const t of def.payTypes) expect(p.platforms[t.name]).toEqual([...t.platforms]);
    }
    expect(opts.providers.find((p) => p.provider === 'wxpay')?.platforms.mp).toEqual(['mp-weixin']);
  });

  it('a verified notification saying what its definition does not list is refused for good: acknowledged, an error row, nothing moved', async () => {
    // WeChat notifications never close an order; a provider that claims one did is not believed.
    h = await startHarness({
      deps: {
        providers: (channel, section) => {
          const base = (definitionOf(channel).create(section, { http: { request: async () => { throw new Error('no network'); } } as never }));
          if (channel !== 'wxpay') return base;
          const fake: PaymentProvider = {
            ...base,
            verifyNotification: async (): Promise<NotificationOutcome> => ({ kind: 'closed', event_id: 'EV-closed-1', out_trade_no: 'NO-SUCH-ORDER-1', channel: 'wxpay', merchant: { app_id: 'x' }, raw: {} }),
          };
          return fake;
        },
      },
    });
    const reply = await h.core.notify('wxpay', { headers: {}, rawBody: '{}' });
    expect(reply.statusCode).toBe(200);
    const errors = await h.t.dao.select<{ message: string }>({ dbName: 'payment_errors', whereJson: {}, pageSize: -1 });
    expect(errors.rows.some((r) => /wxpay notifications do not say closed/.test(r.message))).toBe(true);
    expect((await h.t.dao.select({ dbName: 'payment_orders', whereJson: {}, pageSize: -1 })).rows).toHaveLength(0);
  });
});
