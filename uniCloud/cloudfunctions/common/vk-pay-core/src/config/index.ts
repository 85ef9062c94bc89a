export { parseConfig, loadConfig, resetConfigCache } from './load';
export { notifyUrlProblem } from './notify-url';
export * from './schema';
