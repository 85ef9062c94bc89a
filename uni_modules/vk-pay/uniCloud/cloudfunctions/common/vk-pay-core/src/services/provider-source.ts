/**
 * Providers built from the validated config: each channel's section is handed to its definition's factory
 * (providers/<channel>/definition.ts). HTTP goes through uniCloud.httpclient on uniCloud and Node's fetch elsewhere.
 */
import type { HttpClient } from '../platform/http';
import { createFetchHttpClient } from '../platform/http-fetch';
import { createUniCloudHttpClient } from '../platform/http-unicloud';
import { definitionOf } from '../providers/registry';
import type { Channel, PaymentProvider } from '../providers/types';

declare const uniCloud: { httpclient?: unknown } | undefined;

export function defaultHttpClient(): HttpClient {
  return typeof uniCloud !== 'undefined' && uniCloud?.httpclient ? createUniCloudHttpClient() : createFetchHttpClient();
}

export function providersFromConfig(opts: { http?: HttpClient; now?: () => number } = {}): (channel: Channel, section: unknown) => PaymentProvider {
  const http = opts.http ?? defaultHttpClient();
  const ctx = { http, now: opts.now };
  return (channel, section) => definitionOf(channel).create(section, ctx);
}
