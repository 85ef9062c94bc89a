export { parseConfig, loadConfig, resetConfigCache } from './load';
export { notifyUrlProblem } from './notify-url';
export * from './schema';
export { syncSchema, alertsSchema, alertThresholdsSchema, webhookSchema } from './operations-schema';
