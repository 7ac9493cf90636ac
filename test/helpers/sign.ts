// Requests to the data plane signed by the AWS SDK's own SigV4 signer (@smithy/signature-v4), as a
// Lattice client would sign them for `vpc-lattice-svcs`, with UNSIGNED-PAYLOAD.
import http from 'node:http';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, Checksum, SourceData } from '@smithy/types';

/** The SDK's signer wants a hash constructor; Node's crypto is enough. */
export class Sha256 implements Checksum {
  readonly #secret: Buffer | undefined;
  #hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#secret = secret === undefined ? undefined
      : typeof secret === 'string' ? Buffer.from(secret, 'utf8')
        : ArrayBuffer.isView(secret) ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
          : Buffer.from(secret);
    this.#hash = this.#fresh();
  }
  #fresh(): Hash | Hmac { return this.#secret ? createHmac('sha256', this.#secret) : createHash('sha256'); }
  update(data: Uint8Array): void { this.#hash.update(data); }
  async digest(): Promise<Uint8Array> { return new Uint8Array(this.#hash.digest()); }
  reset(): void { this.#hash = this.#fresh(); }
}

export interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

/** GET/POST http://127.0.0.1:port<path> with Host `host`, signed with `credentials` (unsigned when undefined). */
export async function signedRequest(port: number, host: string, path: string, credentials: AwsCredentialIdentity | undefined, opts: { method?: string; region?: string } = {}): Promise<Reply> {
  const [pathname, query = ''] = path.split('?');
  let headers: Record<string, string> = { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' };
  if (credentials) {
    const signer = new SignatureV4({ service: 'vpc-lattice-svcs', region: opts.region ?? 'us-east-1', credentials, sha256: Sha256, applyChecksum: false });
    const signed = await signer.sign({
      method: opts.method ?? 'GET', protocol: 'http:', hostname: host, path: pathname, headers,
      query: Object.fromEntries(new URLSearchParams(query)),
    });
    headers = signed.headers;
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}
