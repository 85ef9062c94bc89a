/** The App Store in-app purchase as the core sees it (providers/definition.ts): product-bound, provider-reported refunds. */
import { z } from 'zod';
import { ParamError } from '../../../../../../../common/errors';
import { defineProvider } from '../definition';
import { appleiapSchema, type AppleiapSection } from './config';
import { createAppleiapProvider } from './provider';

const APPLE_PAY_TYPES = [{ name: 'app', platforms: ['app-ios'] }] as const;

export const appleiapDefinition = defineProvider<AppleiapSection>({
  channel: 'appleiap',
  provider: 'appleiap',
  payTypes: APPLE_PAY_TYPES,
  configSchema: appleiapSchema,
  keyFields: /^(rootCertificates|sharedSecret|receipt|serverApi|keyId|issuerId)$/,
  gatewayUrls: (s) => [
    ...(s.serverApi ? [s.serverApi.baseUrl, s.serverApi.sandboxBaseUrl] : []),
    ...(s.receipt ? [s.receipt.url, s.receipt.sandboxUrl] : []),
  ],
  catalogFields: { appleProductId: z.string().min(1).max(100) },
  notifications: { kinds: ['paid', 'renewed', 'refund_succeeded', 'ignored'] },
  merchant: { labels: { app_id: 'bundleId', merchant_id: 'appAppleId' }, expected: (s) => [{ app_id: s.bundleId }] },
  orderBinding: 'product',
  productIdOf: (item) => (typeof item.appleProductId === 'string' ? item.appleProductId : undefined),
  refunds: 'provider',
  checkCreate: (input) => {
    if (!input.goods) throw new ParamError(`appleiap sells catalog goods: order type ${input.type} has no catalog item`);
  },
  create: (section, ctx) => createAppleiapProvider(section, ctx),
});
