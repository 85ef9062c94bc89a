/**
 * Order and refund statuses and their allowed transitions, declared as data (docs/CONTRACTS.md section 9).
 * The core's one transition function reads these tables; each is checked once when the core loads.
 */
export const ORDER_STATUSES = ['pending', 'paid', 'closed', 'partially_refunded', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * A refund is `processing` until the provider answers. `held` is WeChat's ABNORMAL (v2 CHANGE): the money left
 * the merchant but could not reach the person (a closed card); it stays reserved on the order - neither refunded
 * nor refundable again - until a person re-routes it in the merchant platform, after which it can still succeed.
 */
export const REFUND_STATUSES = ['processing', 'held', 'success', 'failed'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** The events that move a refund record. */
export const REFUND_TRANSITIONS = {
  /** the provider confirmed the refund (also a held one, once a person re-routed it) */
  succeed: { from: ['processing', 'held'], to: 'success' },
  /** the provider refused or closed it: the reserved amount goes back to the order */
  fail: { from: ['processing'], to: 'failed' },
  /** the provider holds the money (ABNORMAL / CHANGE): kept reserved, a person acts */
  hold: { from: ['processing'], to: 'held' },
} as const satisfies Record<string, { from: readonly RefundStatus[]; to: RefundStatus }>;

export type RefundEvent = keyof typeof REFUND_TRANSITIONS;

export const REFUND_RANK: Record<RefundStatus, number> = { processing: 0, held: 1, success: 2, failed: 2 };

export function canRefundTransition(event: RefundEvent, from: RefundStatus): boolean {
  return (REFUND_TRANSITIONS[event].from as readonly RefundStatus[]).includes(from);
}

/** The events that move an order, each with the statuses it may start from and the status it leads to. */
export const ORDER_TRANSITIONS = {
  /** payment confirmed by a notification, a query or the timer */
  pay: { from: ['pending'], to: 'paid' },
  /** payment confirmed for an order we had closed: money was received, so it is recorded (paid_after_close) */
  pay_after_close: { from: ['closed'], to: 'paid' },
  /** closed at the provider (expired or cancelled) */
  close: { from: ['pending'], to: 'closed' },
  /** a refund succeeded that leaves part of the payment */
  refund_partial: { from: ['paid', 'partially_refunded'], to: 'partially_refunded' },
  /** a refund succeeded that returns the rest of the payment */
  refund_full: { from: ['paid', 'partially_refunded'], to: 'refunded' },
} as const satisfies Record<string, { from: readonly OrderStatus[]; to: OrderStatus }>;

export type OrderEvent = keyof typeof ORDER_TRANSITIONS;

/** Rank used to prove "no regression": a transition never moves to a lower rank, except pay_after_close. */
export const STATUS_RANK: Record<OrderStatus, number> = { pending: 0, closed: 1, paid: 2, partially_refunded: 3, refunded: 4 };

export function canTransition(event: OrderEvent, from: OrderStatus): boolean {
  return (ORDER_TRANSITIONS[event].from as readonly OrderStatus[]).includes(from);
}

export type TransitionTable = Record<string, { from: readonly string[]; to: string }>;

/**
 * The start-up check of a status table: every status named is known and no transition leads to a lower rank.
 * Events listed in `reopening` may go back (an admin's replay of a finished hook); nothing else may.
 */
export function assertStatusTable(name: string, table: TransitionTable, statuses: readonly string[], rank: Record<string, number>, reopening: readonly string[] = []): void {
  const known = new Set<string>(statuses);
  for (const s of statuses) if (typeof rank[s] !== 'number') throw new Error(`${name}: status ${s} has no rank`);
  for (const [event, { from, to }] of Object.entries(table)) {
    if (!known.has(to)) throw new Error(`${name} transition ${event}: unknown target status ${to}`);
    for (const f of from) {
      if (!known.has(f)) throw new Error(`${name} transition ${event}: unknown source status ${f}`);
      if (rank[to] < rank[f] && !reopening.includes(event)) throw new Error(`${name} transition ${event}: ${f} -> ${to} regresses`);
    }
  }
}

/** Checked once when the core starts: every status named is known, and no transition leads backwards. */
export function assertTransitionTable(table: TransitionTable = ORDER_TRANSITIONS): void {
  assertStatusTable('order', table, ORDER_STATUSES, STATUS_RANK);
}

export function assertRefundTable(table: TransitionTable = REFUND_TRANSITIONS): void {
  assertStatusTable('refund', table, REFUND_STATUSES, REFUND_RANK);
}

export function isFinalStatus(status: OrderStatus): boolean {
  return status !== 'pending';
}
