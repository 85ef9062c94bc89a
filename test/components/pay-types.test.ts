// @vitest-environment happy-dom
/**
 * The client learns providers and pay types from getPayOptions (each pay type with the uni-app platforms it opens
 * on) rather than from a list of its own: a provider the server adds shows up where its pay types open.
 */
import { describe, expect, it } from 'vitest';
import { payTypesFor, platformTags, providerName, providersFor } from '../../uni_modules/vk-pay/components/vk-pay/pay-types';
import type { PayOptions } from '../../uni_modules/vk-pay/components/vk-pay/api-types';

const options: PayOptions = {
  env: 'sandbox', types: [], maxAmount: 100, ttlMs: 1,
  providers: [
    { provider: 'wxpay', channel: 'wxpay', pay_types: ['jsapi', 'mp', 'app', 'h5', 'native'], platforms: { jsapi: ['web'], mp: ['mp-weixin'], app: ['app'], h5: ['web'], native: ['web'] } },
    { provider: 'alipay', channel: 'alipay', pay_types: ['mp', 'app', 'qr'], platforms: { mp: ['mp-alipay'], app: ['app'], qr: ['web'] } },
    { provider: 'newpay', channel: 'newpay', pay_types: ['app'], platforms: { app: ['app-ios'] } },
  ],
};

describe('pay types from the server', () => {
  it('App on iOS and Android: tags narrow app to one system', () => {
    expect(platformTags('app', 'iOS')).toEqual(['app', 'app-ios']);
    expect(platformTags('app', 'android')).toEqual(['app', 'app-android']);
    expect(platformTags('mp-weixin', 'ios')).toEqual(['mp-weixin']);
  });

  it('offers only what opens where we run, in the server order; nothing before the server answered', () => {
    expect(providersFor(options, 'web')).toEqual(['wxpay', 'alipay']);
    expect(payTypesFor(options, 'wxpay', 'web')).toEqual(['jsapi', 'h5', 'native']);
    expect(providersFor(options, 'mp-weixin')).toEqual(['wxpay']);
    expect(providersFor(options, 'mp-alipay')).toEqual(['alipay']);
    expect(providersFor(options, platformTags('app', 'ios'))).toEqual(['wxpay', 'alipay', 'newpay']);
    expect(providersFor(options, platformTags('app', 'android'))).toEqual(['wxpay', 'alipay']);
    expect(payTypesFor(options, 'newpay', platformTags('app', 'ios'))).toEqual(['app']);
    expect(providersFor(null, 'web')).toEqual([]);
    expect(payTypesFor(options, 'nope', 'web')).toEqual([]);
  });

  it('a provider the message table does not know is shown by its own name', () => {
    expect(providerName('newpay')).toBe('newpay');
    expect(providerName('wxpay')).not.toBe('wxpay');
  });
});
