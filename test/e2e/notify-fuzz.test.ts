/**
 * Fuzzing the notify route of a running local host, small (at least 10,000 mutants per channel run in
 * `npm run bench notify-faults`). Mutants of genuine WeChat v3, v2 and Alipay notifications - truncated,
 * bit-flipped, invalid UTF-8, wrong types, huge fields, repeated keys, deep nesting, XML entities, wrong
 * headers and content types, empty and oversized bodies - and genuinely signed ones with fields out of bounds.
 * The replies, by case:
 *   not the genuine notification                    -> the channel's retry reply (v3 500 {"code":"FAIL"},
 *                                                      v2 500 <return_code>FAIL</return_code>, Alipay 500 "fail");
 *                                                      over 256 KB -> the host's 413
 *   still the genuine notification (e.g. a header that is not signed changed) -> acknowledged: a duplicate
 *   genuinely signed, fields out of bounds           -> acknowledged for good, recorded, never applied
 * and nothing crashes, no order changes, no transaction row appears, and what is stored about junk is bounded:
 * at most one sampled error row per source and minute, none larger than 8 KB.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHost, type Host } from '../../local/host';
import type { SandboxCredentials } from '../../sandbox/credentials';
import { runFuzz } from '../../bench/notify/fuzz-run';

let host: Host;
let home: string;
let creds: SandboxCredentials;

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'vkpay-fuzz-'));
  host = await startHost({ port: 0, home, quiet: true, timers: false });
  creds = JSON.parse(await readFile(path.join(home, 'sandbox', 'credentials.json'), 'utf8')) as SandboxCredentials;
}, 120_000);
afterAll(async () => {
  await host?.close();
  await rm(home, { recursive: true, force: true });
});

describe.each(['wxpay', 'wxpay-v2', 'alipay'] as const)('fuzzing the %s notify route', (channel) => {
  it('mutants: no crash, no state change, no acknowledgement of anything not genuinely signed; signed out-of-bounds ones refused for good', async () => {
    const started = Date.now();
    const report = await runFuzz({ base: host.url, db: host.db, creds, channel, orders: 8, perOrder: 24, seed: 11 + channel.length });
    process.stdout.write(`[figures] fuzz ${channel}: ${report.sent} sent in ${report.elapsed_ms} ms, ${report.error_rows} error rows (largest ${report.largest_error_row} B), ${report.rejections_counted} rejections counted; replies ${JSON.stringify(report.replies)}\n`);
    expect(report.violations).toEqual([]);
    expect(report.sent).toBeGreaterThan(150);
    // the junk was counted, and sampled at most once per minute (plus one row per signed out-of-bounds delivery)
    expect(report.rejections_counted).toBeGreaterThan(report.sent / 2);
    const minutes = Math.floor((Date.now() - started) / 60_000) + 2;
    expect(report.error_rows).toBeLessThanOrEqual(minutes + report.signed);
    // every kind of mutation was sent, and the not-genuine ones got the retry reply (or the host's 413)
    const kinds = Object.keys(report.replies);
    for (const k of ['truncated', 'bit flips', 'invalid UTF-8', 'empty body', 'wrong content type', 'oversized body (over the core limit)', 'oversized body (over the host limit)']) expect(kinds).toContain(k);
    expect(report.replies['empty body']).toEqual({ 'retry 500': expect.any(Number) });
    expect(report.replies['oversized body (over the host limit)']).toEqual({ '413 too large': expect.any(Number) });
    expect(Object.keys(report.replies).filter((k) => k.startsWith('signed:')).every((k) => Object.keys(report.replies[k]).join() === 'ack')).toBe(true);
  }, 60_000);
});
