/** The `providers.appleiap` config section (docs/PROTOCOLS.md section 9 says where each value comes from). */
import { z } from 'zod';
import { nonEmpty, pem } from '../config-fields';

export const APPLE_ENVIRONMENTS = ['Production', 'Sandbox'] as const;

export const appleiapSchema = z.object({
  /** the app's bundle id: a transaction or notification for another app is refused */
  bundleId: nonEmpty,
  /** the app's Apple id (App Store Connect); production notifications name it */
  appAppleId: z.number().int().positive().optional(),
  /**
   * environments whose purchases may pay orders. Production only, normally; add `Sandbox` while testing and for
   * App Review, which buys with sandbox accounts against the production build.
   */
  environments: z.array(z.enum(APPLE_ENVIRONMENTS)).min(1).default(['Production']),
  /** PEM roots a signed transaction's chain must end at: Apple Root CA - G3 (the sandbox names its own root) */
  rootCertificates: z.array(pem('rootCertificates[]')).min(1),
  /** App Store Server API (look a transaction up by id): the in-app purchase key from App Store Connect */
  serverApi: z.object({
    issuerId: nonEmpty,
    keyId: nonEmpty,
    privateKeyPem: pem('serverApi.privateKeyPem'),
    baseUrl: z.string().url().default('https://api.storekit.itunes.apple.com/'),
    sandboxBaseUrl: z.string().url().default('https://api.storekit-sandbox.itunes.apple.com/'),
  }).optional(),
  /** legacy receipts (`/verifyReceipt`, for clients that send the app receipt): the app-specific shared secret */
  receipt: z.object({
    sharedSecret: nonEmpty,
    url: z.string().url().default('https://buy.itunes.apple.com/verifyReceipt'),
    sandboxUrl: z.string().url().default('https://sandbox.itunes.apple.com/verifyReceipt'),
  }).optional(),
}).passthrough();

export type AppleiapSection = z.output<typeof appleiapSchema>;
