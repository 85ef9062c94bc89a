export { owedHook, runHook, runDueHooks, replayHooks, hookKey, parseHookKey, type HookRef, type HookEvent, type RunDueHooksSummary, type HookRunResult } from './outbox';
export { raiseAlert, ALERT_KINDS, type AlertKind, type AlertInput } from './alerts';
