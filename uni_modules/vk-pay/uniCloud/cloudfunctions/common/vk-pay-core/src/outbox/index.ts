export { enqueueHook, hasOutboxEntry, runHookEntry, runDueHooks, replayHooks, outboxKey, type OutboxEntry, type HookEvent, type RunDueHooksSummary, type HookRunResult } from './outbox';
export { raiseAlert, type AlertKind } from './alerts';
