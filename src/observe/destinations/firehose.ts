// Firehose delivery stream -> HTTP POST of batches to an endpoint configured for the stream's
// name (`trellis up --firehose-endpoint <stream>=<url>`): the body is the batch's records as
// newline-delimited JSON (Content-Type application/x-ndjson), at most 500 records or 4 MiB, as
// Firehose's PutRecordBatch allows. Any 2xx answer is delivery; another status, a network error
// or no answer within timeoutMs fails the batch, which the queue spools and retries.
import http from 'node:http';
import https from 'node:https';
import type { Sink } from '../delivery.ts';
import { linesToBuffer } from '../lines.ts';

export interface FirehoseSinkOptions {
  streamName: string;
  url: string;
  timeoutMs?: number;
}

/** Parses repeated `name=URL` flags into stream name -> URL. */
export function parseFirehoseEndpoints(values: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    const name = v.slice(0, eq).trim();
    const url = v.slice(eq + 1).trim();
    if (eq <= 0 || !/^[a-zA-Z0-9_.-]{1,64}$/.test(name)) throw new Error(`--firehose-endpoint needs <stream name>=<url>, got "${v}"`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`--firehose-endpoint ${name}: "${url}" is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`--firehose-endpoint ${name}: the URL must be http or https`);
    out.set(name, url);
  }
  return out;
}

export class FirehoseSink implements Sink {
  readonly describe: string;
  readonly maxBatchRecords = 500;
  readonly maxBatchBytes = 4 * 1024 * 1024;
  readonly #url: URL;
  readonly #stream: string;
  readonly #timeoutMs: number;
  readonly #agent: http.Agent;

  constructor(opts: FirehoseSinkOptions) {
    this.describe = `delivery stream ${opts.streamName} (${opts.url})`;
    this.#url = new URL(opts.url);
    this.#stream = opts.streamName;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#agent = this.#url.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 1 }) : new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  deliver(lines: readonly string[]): Promise<void> {
    const body = linesToBuffer(lines);
    const client = this.#url.protocol === 'https:' ? https : http;
    return new Promise<void>((resolve, reject) => {
      const req = client.request(this.#url, {
        method: 'POST',
        agent: this.#agent,
        timeout: this.#timeoutMs,
        headers: {
          'content-type': 'application/x-ndjson',
          'content-length': String(body.length),
          'x-trellis-delivery-stream': this.#stream,
          'x-trellis-record-count': String(lines.length),
        },
      }, (res) => {
        res.resume();
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`HTTP ${status} from ${this.#url.href}`));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from ${this.#url.href} in ${this.#timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async close(): Promise<void> {
    this.#agent.destroy();
  }
}
