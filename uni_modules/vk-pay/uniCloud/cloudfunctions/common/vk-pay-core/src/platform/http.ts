/** The one HTTP shape providers use: injectable so the cloud uses uniCloud.httpclient and tests use fetch. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** The exact bytes to send (signatures are computed over them). */
  body?: string;
  timeoutMs: number;
}
export interface HttpResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  /** The raw body text (signatures are verified over it). */
  body: string;
}
export type HttpClient = (req: HttpRequest) => Promise<HttpResponse>;
