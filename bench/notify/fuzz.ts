/**
 * Mutated notifications for the fuzz tests (test/e2e/notify-fuzz.test.ts small, bench/notify-faults.bench.ts
 * with at least 10,000 per channel). Each mutant starts from a genuine, signed notification and is altered:
 * truncated, bit-flipped, invalid UTF-8, wrong JSON types, huge fields, repeated keys, deep nesting, XML entities
 * (v2), wrong or missing headers and content types, empty and oversized bodies. The oracle says whether a mutant
 * still IS the genuine notification (same signed content, parsed independently of the code under test): only
 * such a mutant may be acknowledged. A second family is signed for real with fields out of bounds: those must be
 * acknowledged (refused for good) and must change nothing.
 */
import type { SandboxCredentials } from '../../sandbox/credentials';
import { buildAlipayNotification } from '../../sandbox/alipay/objects';
import { buildV2Notification } from '../../sandbox/wxpay/v2-notify';
import { buildV3Notification } from '../../sandbox/wxpay/v3-objects';
import { sandboxOrderOf, type BenchChannel, type PaidFacts } from './genuine';

export interface Mutant { kind: string; headers: Record<string, string>; body: Buffer; genuine: boolean }

/** A small seeded generator, so a failing mutant can be made again. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SIGNED_V3_HEADERS = ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature', 'wechatpay-serial'];

function strictUtf8(buf: Buffer): string | null {
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? text : null;
}

/** The v2 flat XML, read strictly and independently: `<xml>` of `<k>v</k>` / `<k><![CDATA[v]]></k>` and nothing else. */
function strictV2(text: string): Map<string, string> | null {
  const m = /^<xml>([\s\S]*)<\/xml>$/.exec(text);
  if (!m) return null;
  const out = new Map<string, string>();
  const re = /<([A-Za-z_][\w]*)\s*>(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<&]*))<\/\1\s*>/y;
  let at = 0;
  while (at < m[1].length) {
    re.lastIndex = at;
    const e = re.exec(m[1]);
    if (!e || out.has(e[1])) return null;
    out.set(e[1], e[2] ?? e[3] ?? '');
    at = re.lastIndex;
  }
  return out;
}

/**
 * What an Alipay notification's signature covers: every parameter but sign and sign_type, empty values left out
 * (Alipay's rule) - plus the sign itself and sign_type RSA2. ASCII form bodies only; a repeated name is ambiguous.
 */
function alipaySigned(text: string): Map<string, string> | null {
  if (!/^[\x20-\x7e]*$/.test(text)) return null;
  const out = new Map<string, string>();
  const seen = new Set<string>();
  for (const [k, v] of new URLSearchParams(text)) {
    if (seen.has(k)) return null;
    seen.add(k);
    if (k === 'sign_type' && v !== 'RSA2') return null;
    if (v !== '' && k !== 'sign_type') out.set(k, v);
  }
  return out.has('sign') ? out : null;
}

const sameMap = (a: Map<string, string>, b: Map<string, string>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/** Does the mutant still say exactly what the genuine notification said, signed as it was? */
export function stillGenuine(channel: BenchChannel, base: { headers: Record<string, string>; body: string }, m: { headers: Record<string, string>; body: Buffer }): boolean {
  const text = strictUtf8(m.body);
  if (text === null) return false;
  if (channel === 'wxpay') {
    const h = Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k.toLowerCase(), v]));
    return text === base.body && SIGNED_V3_HEADERS.every((k) => h[k] === base.headers[k]);
  }
  if (channel === 'alipay') {
    const a = alipaySigned(text);
    const b = alipaySigned(base.body);
    return a !== null && b !== null && sameMap(a, b) && new URLSearchParams(text).get('sign_type') === 'RSA2';
  }
  const a = strictV2(text);
  const b = strictV2(base.body);
  return a !== null && b !== null && sameMap(a, b);
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

function insertAt(buf: Buffer, at: number, bytes: Buffer): Buffer {
  return Buffer.concat([buf.subarray(0, at), bytes, buf.subarray(at)]);
}

const INVALID_UTF8 = [Buffer.from([0xff]), Buffer.from([0xc3, 0x28]), Buffer.from([0xe2, 0x82]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])];

/** Structural alterations per channel: (body text) -> body text. */
function structural(channel: BenchChannel, r: () => number): Array<[string, (t: string) => string]> {
  const huge = 'A'.repeat(int(r, 5_000, 60_000));
  if (channel === 'wxpay') {
    return [
      ['json: resource of a wrong type', (t) => t.replace(/"resource":\{[^}]*\}/, `"resource":${pick(r, ['1', '"x"', '[]', 'null', 'true'])}`)],
      ['json: id of a wrong type', (t) => t.replace(/"id":"[^"]*"/, `"id":${pick(r, ['1', '{}', '[]', 'null'])}`)],
      ['json: repeated key', (t) => t.replace('{', `{"id":"${pick(r, ['evil', 'ev-x'])}",`)],
      ['json: huge field', (t) => t.replace('"summary":"', `"summary":"${huge}`)],
      ['json: deep nesting', (t) => `${'['.repeat(int(r, 1_000, 20_000))}${t}${']'.repeat(int(r, 1_000, 20_000))}`],
      ['json: not json', (t) => t.replace(/[{}]/g, '')],
      ['json: trailing garbage', (t) => `${t}${pick(r, ['x', ',', '{}', '\u0000'])}`],
      ['json: ciphertext swapped', (t) => t.replace(/"ciphertext":"([^"]*)"/, (_m, c: string) => `"ciphertext":"${c.split('').reverse().join('')}"`)],
    ];
  }
  if (channel === 'alipay') {
    return [
      ['form: repeated parameter', (t) => `${t}&${pick(r, ['out_trade_no', 'total_amount', 'trade_status', 'sign'])}=${pick(r, ['1', 'X', 'TRADE_SUCCESS'])}`],
      ['form: repeated identical parameter', (t) => { const p = t.split('&'); return `${t}&${pick(r, p)}`; }],
      ['form: huge field', (t) => `${t}&body=${huge}`],
      ['form: amount altered', (t) => t.replace(/total_amount=[^&]*/, `total_amount=${pick(r, ['0.01', '-1', '1e9', 'NaN', ''])}`)],
      ['form: bad percent-encoding', (t) => t.replace('=', `=%${pick(r, ['ZZ', 'G', '', 'FF', 'C3%28'])}`)],
      ['form: sign_type changed', (t) => t.replace(/sign_type=RSA2/, `sign_type=${pick(r, ['RSA', 'MD5', '', 'rsa2'])}`)],
      ['form: sign dropped', (t) => t.replace(/&?sign=[^&]*/, '')],
      ['form: plus and space', (t) => t.replace(/%20/g, '+')],
    ];
  }
  return [
    ['xml: entity expansion', (t) => `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "${'x'.repeat(100)}"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>${t.replace('<nonce_str>', '<nonce_str>&c;')}`],
    ['xml: external entity', (t) => `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>${t.replace('<attach>', '<attach>&x;')}`],
    ['xml: deep nesting', (t) => t.replace('<xml>', `<xml>${'<a>'.repeat(int(r, 1_000, 20_000))}x${'</a>'.repeat(1_000)}`)],
    ['xml: repeated element', (t) => t.replace('</xml>', `<out_trade_no>${pick(r, ['X1', 'evil'])}</out_trade_no></xml>`)],
    ['xml: nested element', (t) => t.replace(/<total_fee>([^<]*)<\/total_fee>/, '<total_fee><v>$1</v></total_fee>')],
    ['xml: huge field', (t) => t.replace('</xml>', `<attach2>${huge}</attach2></xml>`)],
    ['xml: cdata broken', (t) => t.replace('<![CDATA[', '<![CDATA')],
    ['xml: not xml', (t) => t.replace(/[<>]/g, '')],
  ];
}

/** `count` mutants of one genuine notification. */
export function mutate(channel: BenchChannel, base: { headers: Record<string, string>; body: string }, count: number, r: () => number): Mutant[] {
  const out: Mutant[] = [];
  const bytes = Buffer.from(base.body, 'utf8');
  const ops: Array<[string, () => { headers: Record<string, string>; body: Buffer }]> = [
    ['truncated', () => ({ headers: base.headers, body: bytes.subarray(0, int(r, 0, bytes.length - 1)) })],
    ['bit flips', () => {
      const b = Buffer.from(bytes);
      for (let i = int(r, 1, 8); i > 0; i--) { const at = int(r, 0, b.length - 1); b[at] ^= 1 << int(r, 0, 7); }
      return { headers: base.headers, body: b };
    }],
    ['invalid UTF-8', () => ({ headers: base.headers, body: insertAt(bytes, int(r, 0, bytes.length), pick(r, INVALID_UTF8)) })],
    ['empty body', () => ({ headers: base.headers, body: Buffer.alloc(0) })],
    ['oversized body (over the core limit)', () => ({ headers: base.headers, body: Buffer.concat([bytes, Buffer.alloc(70 * 1024, 0x20)]) })],
    ['oversized body (over the host limit)', () => ({ headers: base.headers, body: Buffer.alloc(300 * 1024, 0x61) })],
    ['wrong content type', () => ({ headers: { ...base.headers, 'content-type': pick(r, ['text/plain', 'multipart/form-data; boundary=x', 'application/octet-stream', '']) }, body: bytes })],
    ['header dropped or garbled', () => {
      const h = { ...base.headers };
      const k = pick(r, channel === 'wxpay' ? SIGNED_V3_HEADERS : ['content-type', 'user-agent']);
      if (r() < 0.5) delete h[k]; else h[k] = pick(r, ['', 'x', '0', '9'.repeat(20), h[k]?.split('').reverse().join('') ?? '', `${h[k] ?? ''}=`]);
      return { headers: h, body: bytes };
    }],
    ['structural', () => {
      const [kind, f] = pick(r, structural(channel, r));
      return { headers: base.headers, body: Buffer.from(f(base.body), 'utf8'), kind } as { headers: Record<string, string>; body: Buffer; kind?: string };
    }],
  ];
  for (let i = 0; i < count; i++) {
    const [kind, make] = ops[i % ops.length];
    const m = make() as { headers: Record<string, string>; body: Buffer; kind?: string };
    out.push({ kind: m.kind ?? kind, headers: m.headers, body: m.body, genuine: stillGenuine(channel, base, m) });
  }
  return out;
}

/**
 * Genuinely signed notifications whose fields are out of bounds (an order number, transaction id or attach of
 * kilobytes): they verify, yet can never be applied - acknowledged and recorded, never retried for a day.
 */
export function signedOversized(creds: SandboxCredentials, channel: BenchChannel, facts: PaidFacts, r: () => number): Mutant[] {
  const huge = (n: number) => 'X'.repeat(n);
  // For a PENDING order of ours: had any of them been applied, the order would have changed.
  const variants: Array<[string, Partial<ReturnType<typeof sandboxOrderOf>>]> = [
    ['signed: out_trade_no of 4 KB', { out_trade_no: huge(4096) }],
    ['signed: transaction id of 2 KB', { transaction_id: huge(2048) }],
    // a body of more than 32 KB: free text that large is no notification a gateway sends
    channel === 'alipay' ? ['signed: subject of 40 KB', { subject: huge(40_000) }] : ['signed: attach of 40 KB', { attach: huge(40_000) }],
  ];
  // (v2 XML cannot carry a control character at all: such a body does not parse, so it is not verified)
  if (channel !== 'wxpay-v2') variants.push(['signed: order number with control characters', { out_trade_no: `${facts.out_trade_no}\u0001\n` }]);
  return variants.map(([kind, over]) => {
    const order = { ...sandboxOrderOf(creds, facts), ...over };
    const eventId = `fuzz-${Math.floor(r() * 1e9)}`;
    const n = channel === 'wxpay'
      ? buildV3Notification(creds, eventId, Date.now(), order, undefined, undefined, Date.now())
      : channel === 'alipay'
        ? buildAlipayNotification(creds, eventId, order, undefined, [], undefined, Date.now())
        : buildV2Notification(creds, order, undefined, undefined);
    return { kind, headers: Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.toLowerCase(), v])), body: Buffer.from(n.body, 'utf8'), genuine: true };
  });
}
