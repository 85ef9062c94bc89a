export { getStats, checkRange, type PaymentStats, type ProviderLatency } from './stats';
export { createAlertMonitor, composeMessage, webhookRequest, type AlertMonitor, type AlertMonitorOptions, type WebhookTarget } from './alerts';
export { resolveThresholds, readThresholds, evaluateThresholds, DEFAULT_THRESHOLDS, type AlertThresholds } from './thresholds';
export { recordAlert, raiseThrottled, takeKindSlot, ALERT_KINDS_COLLECTION, type AlertDoc, type MonitorAlertKind } from './alert-store';
