/** The merchant-side providers pointed at a running sandbox (used by the notifier tests and the contract suite). */
import {
  alipayConfigFromCredentials, createProvider, wxpayConfigFromCredentials, wxpayV2ConfigFromCredentials, type Channel, type PaymentProvider,
} from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/providers/index';
import { createFetchHttpClient } from '../../uni_modules/vk-pay/uniCloud/cloudfunctions/common/vk-pay-core/src/platform/http-fetch';
import type { RunningSandbox } from './helpers';

export function providerFor(s: RunningSandbox, channel: Channel, opts: { v2SignType?: 'MD5' | 'HMAC-SHA256' } = {}): PaymentProvider {
  const ctx = { http: createFetchHttpClient(), budgetMs: 5_000, timeoutMs: 3_000 };
  if (channel === 'wxpay') return createProvider('wxpay', wxpayConfigFromCredentials(s.creds.wxpay, `${s.base}/sandbox/wxpay/`), ctx);
  if (channel === 'wxpay-v2') {
    // refunds over mutual TLS when the sandbox runs its https listener (requireClientCert)
    const cert = s.secure ? { secapiBaseUrl: `${s.secure.base}/sandbox/wxpay/`, caPem: s.secure.tls.caPem, clientP12: s.secure.tls.clientP12 } : {};
    return createProvider('wxpay-v2', { ...wxpayV2ConfigFromCredentials(s.creds.wxpay, `${s.base}/sandbox/wxpay/`, opts.v2SignType), ...cert }, ctx);
  }
  return createProvider('alipay', alipayConfigFromCredentials(s.creds.alipay, `${s.base}/sandbox/alipay/gateway.do`), ctx);
}
