export { createAdminMethods, ADMIN_METHOD_NAMES, type AdminMethodOptions } from './methods';
export { syncRange, type SyncRangeResult } from './sync-range';
export { syncOneOrder, type SyncOneResult } from './sync-one';
export { listLogs, listErrors, type Page } from './lists';
export { probeNotifyUrl, classifyNetworkError, type ProbeResult, type ProbeProblem } from './notify-probe';
