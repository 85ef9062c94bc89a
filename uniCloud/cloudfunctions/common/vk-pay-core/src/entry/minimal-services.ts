/**
 * The smallest honest CoreServices: what the entry points can answer without the payment services.
 * It lists the channels and pay types, refuses every notification as unverifiable (no provider is wired to
 * verify it, so accepting one would be exactly the forged-notification hole the plugin exists to close), and
 * runs a timer that has nothing to do. `src/index.ts` uses it until the real core services are wired in.
 */
import { ERROR_TABLE } from '../../../../../../common/errors';
import { PAY_TYPES, type Channel, type ProviderName } from '../providers/types';
import type { CoreServices } from './services';
import type { NotifyReply } from '../providers/types';

export function providerOf(channel: Channel): ProviderName {
  return channel === 'alipay' ? 'alipay' : 'wxpay';
}

export function payOptions() {
  return {
    channels: (Object.keys(PAY_TYPES) as Channel[]).map((channel) => ({
      channel,
      provider: providerOf(channel),
      pay_types: [...PAY_TYPES[channel]],
    })),
  };
}

/** The refusal each gateway understands as "not accepted" (WeChat v3 JSON, v2 XML, Alipay plain text). */
export function unverifiableReply(channel: Channel): NotifyReply {
  const message = ERROR_TABLE[40002].en;
  if (channel === 'wxpay-v2') {
    return {
      statusCode: 200,
      headers: { 'content-type': 'text/xml; charset=utf-8' },
      body: `<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[${message}]]></return_msg></xml>`,
    };
  }
  if (channel === 'alipay') return { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'fail' };
  return { statusCode: 401, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ code: 'FAIL', message }) };
}

export function createMinimalServices(): CoreServices {
  return {
    methods: {
      async getPayOptions() {
        return payOptions();
      },
    },
    async notify(channel) {
      return unverifiableReply(channel);
    },
    async runTimer(trigger) {
      return { time: trigger.time, orders_synced: 0, orders_closed: 0, refunds_synced: 0, hooks_run: 0, alerts: 0 };
    },
  };
}
