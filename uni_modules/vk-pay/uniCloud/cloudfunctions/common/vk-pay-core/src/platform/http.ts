/** The one HTTP shape providers use: injectable so the cloud uses uniCloud.httpclient and tests use fetch. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** The exact bytes to send (signatures are computed over them). */
  body?: string;
  timeoutMs: number;
  /** 'bytes': the answer's body is binary (a gzip or zip statement) and comes back in `bytes` */
  responseType?: 'text' | 'bytes';
  /** mutual TLS: the merchant's client certificate (WeChat Pay v2 /secapi/ calls) */
  tls?: ClientTls;
}

/**
 * A client certificate for mutual TLS: a PKCS#12 file with its passphrase (WeChat's apiclient_cert.p12, whose
 * passphrase is the mchId), or the PEM key and certificate; `ca` adds trust anchors for the server (the sandbox's
 * own CA; WeChat's server certificate is publicly trusted).
 */
export interface ClientTls {
  pfx?: Buffer;
  passphrase?: string;
  key?: string;
  cert?: string;
  ca?: string;
}
export interface HttpResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The raw body text (signatures are verified over it). */
  body: string;
  /** the raw body, when the request asked for responseType 'bytes' (then `body` is '') */
  bytes?: Uint8Array;
}
export type HttpClient = (req: HttpRequest) => Promise<HttpResponse>;
