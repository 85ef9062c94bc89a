/**
 * checkNotifyUrl: probes the configured notify URL the way a gateway would reach it and says WHY it cannot be
 * reached - the commonest way payments get lost (a localhost/LAN notify URL that "never gets called"). Uses
 * node's own dns/http/https so the failure kind (DNS, refused, timeout, TLS) is not flattened into one error.
 * The probe is an unsigned POST: vk-pay-notify refuses it (WeChat v3: 401 `{code:"FAIL"}`, v2/Alipay: 200
 * FAIL/fail), and that refusal proves the function is there.
 */
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { notifyUrlProblem } from '../config/notify-url';

export type ProbeProblemCode = 'invalid_url' | 'not_public' | 'dns' | 'private_address' | 'refused' | 'timeout' | 'tls' | 'network' | 'http_status';

export interface ProbeProblem { code: ProbeProblemCode; message: string }

export interface ProbeResult {
  url: string;
  reachable: boolean;
  status?: number;
  addresses?: string[];
  elapsed_ms: number;
  problems: ProbeProblem[];
}

const TLS_CODES = /^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(VERIFY|GET)_|HOSTNAME_MISMATCH|ERR_CERT)/;

export function classifyNetworkError(err: unknown): ProbeProblem {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  const msg = e.message ?? String(err);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return { code: 'dns', message: `the host name does not resolve (${code})` };
  if (code === 'ECONNREFUSED') return { code: 'refused', message: 'connection refused: nothing listens on that host and port' };
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || code === 'PROBE_TIMEOUT') return { code: 'timeout', message: `no answer in time (${msg})` };
  if (TLS_CODES.test(code) || /ssl|tls|certificate/i.test(msg)) return { code: 'tls', message: `TLS handshake failed (${code || msg}): providers require a valid certificate chain` };
  return { code: 'network', message: `${code || 'network error'}: ${msg}` };
}

function isPrivateAddress(addr: string): boolean {
  // notifyUrlProblem already knows the private ranges; ask it about an https URL on that address.
  const host = isIP(addr) === 6 ? `[${addr}]` : addr;
  return notifyUrlProblem(`https://${host}/`) !== null;
}

function post(url: URL, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const body = '{}';
    const req = lib.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'vk-pay-notify-probe' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => { if (chunks.length < 64) chunks.push(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, 2000) }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`${timeoutMs} ms`), { code: 'PROBE_TIMEOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * vk-pay-notify refusing an unsigned message answers in its channel's refusal format (WeChat v3 JSON
 * `{code:"FAIL"}`, v2 XML `return_code FAIL`, Alipay `fail`), with a retry-triggering status. That answer proves
 * the function is there; any other non-2xx answer is something else at that URL.
 */
function looksLikeNotifyRefusal(status: number, body: string): boolean {
  if (status < 400 || status > 599) return false;
  const text = body.trim();
  if (text === 'fail') return true;
  if (/<return_code>(<!\[CDATA\[)?FAIL(\]\]>)?<\/return_code>/.test(text)) return true;
  try {
    return (JSON.parse(text) as { code?: unknown }).code === 'FAIL';
  } catch {
    return false;
  }
}

export async function probeNotifyUrl(raw: string, opts: { production: boolean; timeoutMs?: number }): Promise<ProbeResult> {
  const started = performance.now();
  const done = (r: Omit<ProbeResult, 'elapsed_ms' | 'url'>): ProbeResult => ({ url: raw, ...r, elapsed_ms: Math.round(performance.now() - started) });
  let url: URL;
  try {
    url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('not http(s)');
  } catch {
    return done({ reachable: false, problems: [{ code: 'invalid_url', message: `${raw} is not an http(s) URL` }] });
  }
  const problems: ProbeProblem[] = [];
  const policy = notifyUrlProblem(raw);
  if (policy && opts.production) problems.push({ code: 'not_public', message: `notify URL ${policy}` });

  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[] = [host];
  if (!isIP(host)) {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch (err) {
      problems.push(classifyNetworkError(err));
      return done({ reachable: false, problems });
    }
  }
  if (opts.production && !problems.some((p) => p.code === 'not_public')) {
    const priv = addresses.filter(isPrivateAddress);
    if (priv.length) problems.push({ code: 'private_address', message: `${host} resolves to ${priv.join(', ')}, which the gateways cannot reach from the internet` });
  }
  try {
    const res = await post(url, opts.timeoutMs ?? 5_000);
    const ok = (res.status >= 200 && res.status < 300) || looksLikeNotifyRefusal(res.status, res.body);
    if (!ok) problems.push({ code: 'http_status', message: `answered HTTP ${res.status}: the gateways count anything but 2xx as a failed delivery (is this the URL-ized vk-pay-notify function?)` });
    return done({ reachable: ok, status: res.status, addresses, problems });
  } catch (err) {
    problems.push(classifyNetworkError(err));
    return done({ reachable: false, addresses, problems });
  }
}
