export { COLLECTIONS } from './collections';
export type { OrderDoc, OrderHistoryEntry } from './order';
export { PAID_STATUSES } from './order';
export { transitionOrder, transitionRefund, type StoreContext, type TransitionRequest, type RefundTransitionRequest } from './transition';
export { reserveRefund, releaseRefund, settleRefund, settleAdopted, findOrder, type RefundKey, type ReserveResult } from './refund-ledger';
