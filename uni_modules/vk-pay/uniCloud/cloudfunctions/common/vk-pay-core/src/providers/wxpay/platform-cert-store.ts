/**
 * Platform-certificate mode kept up to date (docs/PROTOCOLS.md section 2.1): the certificates are downloaded
 * from `/v3/certificates` on first use, again once they are older than `maxAgeSeconds` (WeChat asks for less
 * than 12 h), and once when an answer or notification names a serial we do not hold - WeChat lists a new
 * certificate 24 h before signing with it, but a merchant that looked earlier only learns of it from the serial.
 * That refresh is shared by concurrent callers and rate limited (`minRefreshSeconds`, default 60), so a stream
 * of forged serials costs one download a minute, not one per request; a serial still unknown afterwards is
 * refused (40002) like any other. The downloaded set lives per merchant in this process, beside the provider
 * instances that come and go.
 */
import { createHash } from 'node:crypto';
import { loadPublicKey } from '../keys';
import { clockOf } from '../shared';
import type { ProviderContext } from '../types';
import { fetchWxpayPlatformCertificates } from './certificates';
import type { WxpayConfig } from './config';
import { SIGNTEST_PREFIX, TIMESTAMP_WINDOW_SECONDS, type VerificationKey, type WechatpaySignedHeaders } from './signing';

export interface PlatformCertOptions {
  /** at most one refresh for unknown serials per this many seconds (default 60) */
  minRefreshSeconds?: number;
  /** download again when the held list is older than this (default 12 h) */
  maxAgeSeconds?: number;
}

interface Held {
  keys: VerificationKey[];
  /** the listed certificate valid longest: WeChat asks for sensitive fields to be encrypted with it */
  newest?: VerificationKey;
  /** ms of the last download that succeeded (0: never) */
  fetchedAt: number;
  /** ms of the last refresh an unknown serial caused (attempted, whatever came of it) */
  unknownRefreshAt: number;
  inflight?: Promise<void>;
}

const HELD = new Map<string, Held>();

function merchantKey(config: WxpayConfig): string {
  const v3 = createHash('sha256').update(config.apiV3Key).digest('hex').slice(0, 16);
  return [config.baseUrl ?? '', config.mchId, config.merchant.serialNo, v3].join('|');
}

export interface PlatformCertStore {
  /** the downloaded certificates' keys, as held now */
  keys(): VerificationKey[];
  /** the certificate to encrypt sensitive fields with (downloaded first if need be) */
  encryptionKey(): Promise<VerificationKey | undefined>;
  /** Makes sure the keys are there for a message signed under `h.serial` (downloads as the rules above say). */
  prepare(h: WechatpaySignedHeaders): Promise<void>;
}

/** Only a message that could otherwise verify may cause a download (not a probe, not a stale timestamp). */
function worthAsking(h: WechatpaySignedHeaders, nowMs: number): boolean {
  if (!h.serial || !h.timestamp || !h.nonce || !h.signature || h.signature.startsWith(SIGNTEST_PREFIX)) return false;
  return /^\d{1,12}$/.test(h.timestamp) && Math.abs(Math.floor(nowMs / 1000) - Number(h.timestamp)) < TIMESTAMP_WINDOW_SECONDS;
}

export function createPlatformCertStore(config: WxpayConfig, ctx: ProviderContext, opts: PlatformCertOptions = {}): PlatformCertStore {
  const now = clockOf(ctx);
  const minGapMs = (opts.minRefreshSeconds ?? 60) * 1000;
  const maxAgeMs = (opts.maxAgeSeconds ?? 12 * 3600) * 1000;
  const key = merchantKey(config);
  const held = (): Held => {
    let h = HELD.get(key);
    if (!h) HELD.set(key, (h = { keys: [], fetchedAt: 0, unknownRefreshAt: -Infinity }));
    return h;
  };

  const download = (h: Held): Promise<void> => {
    h.inflight ??= (async () => {
      try {
        const listed = await fetchWxpayPlatformCertificates(config, ctx);
        // the list replaces what was held: retired certificates stop verifying once WeChat stops listing them
        h.keys = listed.map((c) => ({ serial: c.serial.toUpperCase(), key: loadPublicKey(c.publicKeyPem, `platform certificate ${c.serial}`) }));
        // valid longest by the list's expire_time; of two ending together, the one that took effect later
        const newest = [...listed].sort((a, b) => b.expiresAt - a.expiresAt || b.effectiveAt - a.effectiveAt)[0];
        h.newest = newest && h.keys.find((k) => k.serial === newest.serial.toUpperCase());
        h.fetchedAt = now();
      } finally {
        h.inflight = undefined;
      }
    })();
    return h.inflight;
  };

  return {
    keys: () => held().keys,
    async encryptionKey() {
      const h = held();
      if (h.fetchedAt === 0 || now() - h.fetchedAt >= maxAgeMs) await download(h);
      return h.newest;
    },
    async prepare(sig) {
      const h = held();
      const t = now();
      // first use, or the list is old: a download that fails here fails the call (retryable), not a forgery
      if (h.fetchedAt === 0 || t - h.fetchedAt >= maxAgeMs) await download(h);
      const serial = sig.serial?.toUpperCase();
      if (!serial || h.keys.some((k) => k.serial === serial) || !worthAsking(sig, t)) return;
      if (h.inflight) {
        await h.inflight.catch(() => undefined);
        return;
      }
      if (t - h.unknownRefreshAt < minGapMs) return;
      h.unknownRefreshAt = t;
      // a failed refresh leaves the serial unknown: the message is refused and WeChat sends it again later
      await download(h).catch(() => undefined);
    },
  };
}

/** Every key a message may verify with now: the configured ones, then the platform certificates held. */
export async function verificationKeysFor(r: { verifyKeys: VerificationKey[]; certStore?: PlatformCertStore }, h: WechatpaySignedHeaders): Promise<VerificationKey[]> {
  if (!r.certStore) return r.verifyKeys;
  await r.certStore.prepare(h);
  return [...r.verifyKeys, ...r.certStore.keys()];
}

/** For tests: forget every held list (a new sandbox may reuse an address). */
export function forgetPlatformCertificates(): void {
  HELD.clear();
}
