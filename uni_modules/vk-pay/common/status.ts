/**
 * Order statuses and the allowed transitions, declared as data (docs/CONTRACTS.md section 9).
 * The core's one transition function reads this table; `assertTransitionTable` runs once at start.
 */
export const ORDER_STATUSES = ['pending', 'paid', 'closed', 'partially_refunded', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const REFUND_STATUSES = ['processing', 'success', 'failed'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

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

/** Checked once when the core starts: every status named is known, and no transition leads backwards. */
export function assertTransitionTable(table: Record<string, { from: readonly string[]; to: string }> = ORDER_TRANSITIONS): void {
  const known = new Set<string>(ORDER_STATUSES);
  for (const [event, { from, to }] of Object.entries(table)) {
    if (!known.has(to)) throw new Error(`transition ${event}: unknown target status ${to}`);
    for (const f of from) {
      if (!known.has(f)) throw new Error(`transition ${event}: unknown source status ${f}`);
      if (STATUS_RANK[to as OrderStatus] < STATUS_RANK[f as OrderStatus]) throw new Error(`transition ${event}: ${f} -> ${to} regresses`);
    }
  }
}

export function isFinalStatus(status: OrderStatus): boolean {
  return status !== 'pending';
}
