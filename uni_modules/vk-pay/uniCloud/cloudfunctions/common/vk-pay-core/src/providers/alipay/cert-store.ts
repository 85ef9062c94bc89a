/**
 * Alipay's change of certificate in certificate mode (docs/PROTOCOLS.md section 4, "Alipay's certificate
 * changes"): Alipay re-issues alipayCertPublicKey_RSA2.crt (expiry, a new CA) and then signs under the new
 * certificate's SN. Like Alipay's Java and .NET SDKs, an answer or notification naming an SN we do not hold
 * makes us download that certificate (`alipay.open.app.alipaycert.download`), accept it only if it chains to one
 * of the configured root certificates and is valid now, and verify with it. The download answer itself is not
 * trusted for anything: the chain to the configured root is what makes the certificate Alipay's.
 *
 * A download is shared by concurrent callers naming the same SN and attempted at most once a minute per SN;
 * since notifications reach a public URL, a stream of made-up SNs is also capped as a whole (a few downloads a
 * minute per merchant), so forged messages cannot turn into a stream of calls to Alipay. An SN that cannot be
 * had (unknown to Alipay, a certificate that does not chain, a failed download) is refused like any signature.
 * Held certificates live per merchant in this process, beside the provider instances that come and go.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { SignatureError } from '../../../../../../../common/errors';
import { certSn, splitPemCertificates } from './cert';

export interface AlipayCertStoreOptions {
  /** at most one download per SN per this many seconds (default 60) */
  minRetrySeconds?: number;
  /** at most this many downloads a minute per merchant, whatever the SNs (default 5) */
  maxPerMinute?: number;
}

/** Downloads the certificate of `sn`: the PEM text Alipay answers (base64-decoded alipay_cert_content). */
export type AlipayCertFetcher = (sn: string) => Promise<string>;

interface Held {
  keys: Map<string, KeyObject>;
  /** ms of the last download attempt per SN */
  tried: Map<string, number>;
  /** why the last attempt for an SN failed */
  problems: Map<string, string>;
  inflight: Map<string, Promise<void>>;
  /** ms of recent download attempts, any SN (the overall cap) */
  recent: number[];
  /** how many downloads were attempted (tests and monitoring) */
  downloads: number;
}

const HELD = new Map<string, Held>();

/** An SN as Alipay and the SDKs compute it: md5, 32 hex digits. Anything else is not worth a download. */
const SN = /^[0-9a-f]{32}$/i;

export interface AlipayCertStore {
  /** The key of the certificate `sn` names: held, or downloaded and checked now; else why it cannot be had. */
  keyFor(sn: string): Promise<{ key: KeyObject } | { problem: string }>;
  /** Every key held now, the configured certificate's first. */
  keys(): KeyObject[];
  downloads(): number;
}

const validAt = (c: X509Certificate, nowMs: number) => Date.parse(c.validFrom) <= nowMs && nowMs <= Date.parse(c.validTo);

/**
 * The certificate of a download, checked as AntCertificationUtil.isTrusted does: the first certificate of the text is
 * Alipay's; it and each certificate up to the root are valid now, each is signed by the next (the text may carry
 * the intermediates), and the last is signed by a certificate of the configured root bundle. Answers its SN and
 * public key, or throws a SignatureError that says why not.
 */
export function checkDownloadedCert(pem: string, rootBundlePem: string, nowMs: number): { sn: string; key: KeyObject } {
  let chain: X509Certificate[];
  let roots: X509Certificate[];
  try {
    chain = splitPemCertificates(pem).map((p) => new X509Certificate(p));
    roots = splitPemCertificates(rootBundlePem).map((p) => new X509Certificate(p));
  } catch {
    throw new SignatureError('downloaded Alipay certificate is not a valid certificate PEM');
  }
  const leaf = chain[0];
  if (!leaf) throw new SignatureError('downloaded Alipay certificate is empty');
  if (leaf.publicKey.asymmetricKeyType !== 'rsa') throw new SignatureError('downloaded Alipay certificate does not carry an RSA key');
  const issuedBy = (c: X509Certificate, by: X509Certificate) => c.checkIssued(by) && c.verify(by.publicKey);
  let cur = leaf;
  for (let depth = 0; depth <= chain.length; depth++) {
    if (!validAt(cur, nowMs)) throw new SignatureError(`downloaded Alipay certificate chain: ${cur.subject.replace(/\n/g, ',').slice(0, 80)} is not valid now`);
    if (roots.some((root) => issuedBy(cur, root))) return { sn: certSn(leaf), key: leaf.publicKey };
    const next = chain.find((c) => c !== cur && issuedBy(cur, c));
    if (!next) break;
    cur = next;
  }
  throw new SignatureError('downloaded Alipay certificate does not chain to the configured alipayRootCertPem');
}

/**
 * `merchant` names the held set (gateway, app, root bundle and configured certificate); `configured` is the
 * certificate of alipayCertPem, held from the start.
 */
export function createAlipayCertStore(
  merchant: string, configured: { sn: string; key: KeyObject }, rootBundlePem: string, fetch: AlipayCertFetcher,
  now: () => number, opts: AlipayCertStoreOptions = {},
): AlipayCertStore {
  const minGapMs = (opts.minRetrySeconds ?? 60) * 1000;
  const maxPerMinute = opts.maxPerMinute ?? 5;
  const held = (): Held => {
    let h = HELD.get(merchant);
    if (!h) {
      h = { keys: new Map([[configured.sn, configured.key]]), tried: new Map(), problems: new Map(), inflight: new Map(), recent: [], downloads: 0 };
      HELD.set(merchant, h);
    }
    return h;
  };

  const download = (h: Held, sn: string): Promise<void> => {
    const p = (async () => {
      try {
        const pem = await fetch(sn);
        const got = checkDownloadedCert(pem, rootBundlePem, now());
        // the certificate must be the one asked for, as the SDKs file it under its own computed SN
        if (got.sn !== sn) throw new SignatureError(`downloaded Alipay certificate has SN ${got.sn}, not ${sn}`);
        h.keys.set(sn, got.key);
        h.problems.delete(sn);
      } catch (err) {
        h.problems.set(sn, err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200));
      } finally {
        h.inflight.delete(sn);
      }
    })();
    h.inflight.set(sn, p);
    return p;
  };

  return {
    async keyFor(sn) {
      const h = held();
      const answer = () => {
        const key = h.keys.get(sn);
        return key ? { key } : { problem: h.problems.get(sn) ?? 'not downloaded' };
      };
      if (h.keys.has(sn)) return answer();
      if (!SN.test(sn)) return { problem: 'not an Alipay certificate SN (32 hex digits)' };
      const running = h.inflight.get(sn);
      if (running) {
        await running;
        return answer();
      }
      const t = now();
      const last = h.tried.get(sn);
      if (last !== undefined && t - last < minGapMs) return { problem: `${h.problems.get(sn) ?? 'unknown'} (asked Alipay less than ${minGapMs / 1000} s ago)` };
      h.recent = h.recent.filter((at) => t - at < 60_000);
      if (h.recent.length >= maxPerMinute) return { problem: `not downloaded: ${maxPerMinute} certificate downloads in the last minute already` };
      h.recent.push(t);
      h.tried.set(sn, t);
      // forget attempts older than the gap, so made-up SNs do not pile up in memory
      if (h.tried.size > 100) for (const [k, at] of h.tried) if (t - at >= minGapMs) { h.tried.delete(k); h.problems.delete(k); }
      h.downloads += 1;
      await download(h, sn);
      return answer();
    },
    keys: () => [...held().keys.values()],
    downloads: () => held().downloads,
  };
}

/** For tests: forget every held certificate (a new sandbox may reuse an address). */
export function forgetAlipayCertificates(): void {
  HELD.clear();
}
