export { getStats, checkRange, type PaymentStats, type ProviderLatency } from './stats';
export { createAlertMonitor, composeMessage, webhookRequest, type AlertMonitor, type AlertMonitorOptions, type WebhookTarget } from './alerts';
export { resolveThresholds, readThresholds, evaluateThresholds, DEFAULT_THRESHOLDS, type AlertThresholds } from './thresholds';
export { raiseThrottled, takeKindSlot, ALERT_KINDS_COLLECTION, type AlertDoc } from './alert-store';
export { raiseAlert, ALERT_KINDS, type AlertKind } from '../outbox/alerts';
