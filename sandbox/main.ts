/**
 * `npm run sandbox`: the sandbox gateways alone on a plain node:http server (${PORT:-8787}), state and
 * credentials under ${VKPAY_HOME:-.vkpay}. Prints a line with `ready` and the URL once it serves.
 */
import http from 'node:http';
import path from 'node:path';
import { createSandbox } from './index';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 8787);
  const host = process.env.HOST ?? '127.0.0.1';
  const home = path.resolve(process.env.VKPAY_HOME ?? '.vkpay');
  const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? `http://${host}:${port}`;
  const timeFactor = process.env.SANDBOX_TIME_FACTOR ? Number(process.env.SANDBOX_TIME_FACTOR) : 1;
  const sandbox = await createSandbox({ home, publicBaseUrl, timeFactor });
  const server = http.createServer((req, res) => {
    sandbox.handle(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('not a sandbox path: try /sandbox/wxpay/..., /sandbox/alipay/gateway.do or /sandbox/cashier/...\n');
      }
    }, (err) => {
      console.error(err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.listen(port, host, () => {
    const addr = server.address();
    const actual = typeof addr === 'object' && addr ? addr.port : port;
    console.log(`vk-pay sandbox ready at http://${host}:${actual}/sandbox/ (credentials: ${path.join(home, 'sandbox', 'credentials.json')})`);
  });
  const stop = () => {
    server.close();
    void sandbox.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
