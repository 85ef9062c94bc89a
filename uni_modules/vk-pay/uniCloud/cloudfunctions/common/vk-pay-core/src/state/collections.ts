/** Collection names, in one place (docs/CONTRACTS.md section 10). */
export const COLLECTIONS = {
  orders: 'payment_orders',
  transactions: 'payment_transactions',
  refunds: 'refund_records',
  /** payouts to users, one per out_bill_no (unique), recorded before the provider is called */
  transfers: 'payment_transfers',
  /** payout totals per day and per payee and day, reserved by conditional updates (services/transfer/quota.ts) */
  transferQuota: 'vk_pay_transfer_quota',
  notifications: 'payment_notifications',
  logs: 'payment_logs',
  errors: 'payment_errors',
  /** unverified notification requests, counted per source (notify route) and minute */
  rejections: 'vk_pay_notify_rejections',
  /** per-user request counters, one document per user and minute */
  rateLimits: 'vk_pay_rate_limits',
  /** alerts raised by the core (dead letters, paid-after-close); issue 5's alerting reads and delivers them */
  alerts: 'vk_pay_alerts',
  /** the payer's id per user and app (WeChat openid, Alipay open_id), from a login code; unique per user_id + app_id */
  payerIds: 'vk_pay_openids',
  /** daily reconciliation reports, one per channel and date (services/daily-reconcile.ts) */
  reconciliations: 'payment_reconciliations',
  /** the demo recharge hook's points ledger, one document per user */
  points: 'vk_pay_points',
} as const;
