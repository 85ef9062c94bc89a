/**
 * One POST to the sandbox's v2 /secapi/ listener over https with the given TLS options (client certificate, CA):
 * the status and body it answered, or the code of the error that ended the handshake or the connection.
 */
import https from 'node:https';

export function postSecapi(url: string, opts: https.RequestOptions): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const r = https.request(url, { method: 'POST', ...opts }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    r.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    r.end('<xml></xml>');
  });
}
