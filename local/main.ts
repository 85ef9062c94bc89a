/**
 * `npm start` runs this (through scripts/start.mjs, after building what is missing): starts the host on
 * `${PORT:-8787}` with data under `${VKPAY_HOME:-.vkpay}`, prints a line with `ready` and the URL, and stops
 * cleanly on SIGINT/SIGTERM (server closed, database flushed and closed).
 */
import { startHost } from './host';

async function main(): Promise<void> {
  const started = Date.now();
  const host = await startHost({ quiet: process.env.VKPAY_QUIET === '1' });
  console.log(`vk-pay local host ready at ${host.url} (data in ${host.home}, started in ${Date.now() - started} ms)`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`vk-pay local host stopping (${signal})`);
    host.close().then(
      () => process.exit(0),
      (err) => {
        console.error('vk-pay local host: error while stopping', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  console.error('vk-pay local host failed to start:', err);
  process.exit(1);
});
