/**
 * The operations sections of the config: `sync` (the timer's tuning) and `alerts` (thresholds and webhooks).
 * They are part of the schema like every other field, so a wrong value ("sync.concurrency: must be >= 1") is
 * named at load instead of being silently replaced by a default in the timer that repairs payments. Both
 * objects are strict: a misspelt key (`budgetMS`) would otherwise be ignored without a word.
 */
import { z } from 'zod';

const ms = z.number().int().nonnegative();
const positiveInt = z.number().int().positive();
const share = z.number().min(0).max(1);

export const syncSchema = z.object({
  /** a run stops starting new work after this long (default 50 s of uniCloud's 60 s function timeout) */
  budgetMs: ms.default(50_000),
  /** pending orders younger than this are left to their notification (default 2 min) */
  staleMs: ms.default(2 * 60_000),
  /** how long a claim on one order or refund holds (a crashed run's claims expire after it) */
  leaseMs: positiveInt.default(120_000),
  /** provider calls in flight at once */
  concurrency: positiveInt.default(4),
  /** provider calls started per second, across all channels (0 = unlimited) */
  ratePerSecond: z.number().nonnegative().default(50),
  /** an order the provider still reports unpaid is asked again after this long */
  recheckMs: ms.default(55_000),
  /**
   * a locally closed order is re-checked (paid after close? - the race of a payment completing while we close)
   * while closed less than this long, every closedRecheckMs: with the defaults, about once, 10 minutes after
   */
  closedWindowMs: ms.default(15 * 60_000),
  /** and at most this often */
  closedRecheckMs: ms.default(10 * 60_000),
  /** refunds still processing are queried once they are this old */
  refundStaleMs: ms.default(60_000),
  /** an order whose handling failed waits min(errorBackoffMs * 2^(n-1), maxErrorBackoffMs) */
  errorBackoffMs: ms.default(60_000),
  maxErrorBackoffMs: ms.default(60 * 60_000),
  /** consecutive network failures of one channel in a run that count as an outage (its orders are then left alone) */
  outageThreshold: positiveInt.default(3),
  /** orders read per database page (uniCloud returns at most 500 per query) */
  pageSize: positiveInt.max(500, 'pageSize must be at most 500 (uniCloud returns at most 500 documents per query)').default(100),
  /** refund money received for an order closed locally (needs a refund function in the timer's deps) */
  autoRefundPaidAfterClose: z.boolean().default(false),
}).strict();

export const alertThresholdsSchema = z.object({
  /** payment_errors / operations over errorWindowMs above this raises `error_rate` (default 10 % in 5 min) */
  errorRate: share.default(0.1),
  errorWindowMs: positiveInt.default(5 * 60_000),
  /** share of provider calls and notifications not failed, over successWindowMs, below this raises `success_rate` */
  successRate: share.default(0.95),
  successWindowMs: positiveInt.default(60 * 60_000),
  /** a payment notification received more than this after the payment raises `notify_late` */
  notifyLateMs: ms.default(30_000),
  /** refunds succeeded / refunds finished over refundWindowMs below this raises `refund_success_rate` */
  refundSuccessRate: share.default(0.9),
  refundWindowMs: positiveInt.default(24 * 3600_000),
  /** rates are judged only on at least this many operations (two failures of three calls are not an incident) */
  minSample: positiveInt.default(10),
  /** at most one alert (and one message) per kind per this long */
  windowMs: positiveInt.default(10 * 60_000),
}).strict();

/**
 * One delivery target. `msgtype` picks the robots' message format (WeCom and DingTalk both take `text` and
 * `markdown`); the mention lists are the robots' own fields: WeCom's `mentioned_list` (user ids, "@all") and
 * `mentioned_mobile_list`, DingTalk's `at.atMobiles` / `at.isAtAll`.
 */
export const webhookSchema = z.object({
  kind: z.enum(['generic', 'dingtalk', 'wecom']),
  url: z.string().url(),
  /** generic: HMAC key of x-vkpay-signature; dingtalk: the robot's signing secret */
  secret: z.string().optional(),
  msgtype: z.enum(['text', 'markdown']).default('text'),
  /** WeCom text: user ids to mention ("@all" for everyone) */
  mentioned_list: z.array(z.string().min(1)).optional(),
  /** WeCom text: phone numbers to mention */
  mentioned_mobile_list: z.array(z.string().min(1)).optional(),
  /** DingTalk: phone numbers to mention */
  atMobiles: z.array(z.string().min(1)).optional(),
  isAtAll: z.boolean().optional(),
}).strict();

export const alertsSchema = z.object({
  webhooks: z.array(webhookSchema).default([]),
  thresholds: alertThresholdsSchema.default({}),
}).strict();

export type SyncConfig = z.output<typeof syncSchema>;
export type AlertThresholdsConfig = z.output<typeof alertThresholdsSchema>;
export type WebhookConfig = z.output<typeof webhookSchema>;
export type AlertsConfig = z.output<typeof alertsSchema>;
