export { createSyncTimer, type SyncTimer, type RunSyncOptions } from './timer';
export { resolveSyncSettings, DEFAULT_SYNC_SETTINGS, type SyncSettings } from './settings';
export type { SyncDeps, SyncSummary, SyncProgress } from './run-context';
export { checkOrder, malformedReason, type OrderCheckResult, type OrderOutcome } from './order-check';
export { claimDoc, releaseDoc, finishDoc } from './claim';
export { createSyncTimerForCore } from './for-core';
