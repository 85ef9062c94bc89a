export { COLLECTIONS } from './collections';
export type { OrderDoc, OrderHistoryEntry } from './order';
export { PAID_STATUSES } from './order';
export { transitionOrder, markPaid, type StoreContext, type TransitionRequest } from './transition';
export { reserveRefund, releaseRefund, settleRefund, findOrder, type RefundKey, type ReserveResult } from './refund-ledger';
