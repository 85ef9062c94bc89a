export * from './order-no';
export * from './fingerprint';
export { admitRequest, RateLimitError } from './rate-limit';
