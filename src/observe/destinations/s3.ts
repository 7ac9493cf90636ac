// S3 bucket -> gzip-compressed objects of JSON lines, one object per batch: files under
// <data-dir>/s3/<bucket>/ by default, or PutObject to an S3-compatible endpoint (MinIO, Ceph,
// Garage, AWS itself) given by `trellis up --s3-endpoint URL`, path-style and SigV4-signed.
//
// Key layout, after the one AWS uses for vended logs delivered to S3 (AWSLogs/<account>/<source>/
// <region>/<yyyy>/<mm>/<dd>/<account>_<logtype>_<region>_<id>_<yyyymmddTHHmmZ>_<hash>.log.gz, as
// VPC flow logs document it) with VpcLattice/AccessLogs or VpcLattice/ResourceAccessLogs as the
// source [unverified: the Lattice User Guide's exact key could not be read here]:
//   AWSLogs/<account>/VpcLattice/AccessLogs/<region>/<yyyy>/<mm>/<dd>/
//     <account>_vpclatticeaccesslogs_<region>_<als-id>_<yyyymmddTHHmmZ>_<hash>.log.gz
// <account> is the subscription owner's, the date is the UTC time of the write, and <hash> (8 hex
// digits) tells apart objects written in the same minute. A file is written to a temporary name
// and renamed, and a PUT is atomic, so a reader never sees a partial object. A failed PUT rejects
// deliver(); the delivery queue retries it (spooling meanwhile), so the SDK's own retries are off.
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Sink } from '../delivery.ts';
import type { LogKind } from '../subscriptions.ts';
import { linesToBuffer } from '../lines.ts';

const gz = promisify(gzip);

/** An S3-compatible endpoint and what signs requests to it. */
export interface S3Endpoint {
  url: string;
  /** The region in the signature's scope (MinIO: any; Garage: its s3_region, "garage" by default). */
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface S3SinkOptions {
  dataDir: string;
  bucket: string;
  account: string;
  region: string;
  subscriptionId: string;
  kind: LogKind;
  /** Objects go there instead of the data dir. */
  endpoint?: S3Endpoint;
  now?: () => number;
}

/**
 * Validates `--s3-endpoint URL` (and `--s3-region`) and takes credentials from the standard
 * variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
 */
export function parseS3Endpoint(url: string, opts: { region?: string; env?: NodeJS.ProcessEnv } = {}): S3Endpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--s3-endpoint: "${url}" is not a URL (e.g. http://127.0.0.1:9000)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`--s3-endpoint: the URL must be http or https, got "${url}"`);
  if (parsed.username || parsed.password) throw new Error('--s3-endpoint: put credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, not in the URL');
  if (parsed.search || parsed.hash) throw new Error(`--s3-endpoint: the URL must not have a query or fragment, got "${url}"`);
  const region = opts.region ?? 'us-east-1';
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(region)) throw new Error(`--s3-region must be a region name like us-east-1, got "${region}"`);
  const env = opts.env ?? process.env;
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  if (!accessKeyId || !secretAccessKey) throw new Error('--s3-endpoint needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)');
  const sessionToken = env.AWS_SESSION_TOKEN?.trim() || undefined;
  return { url: parsed.href, region, credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } };
}

const two = (n: number) => String(n).padStart(2, '0');

/** The object key of a batch written at `at`. */
export function s3ObjectKey(o: { account: string; region: string; subscriptionId: string; kind: LogKind }, at: Date, hash: string): string {
  const [source, type] = o.kind === 'service' ? ['AccessLogs', 'vpclatticeaccesslogs'] : ['ResourceAccessLogs', 'vpclatticeresourceaccesslogs'];
  const yyyy = String(at.getUTCFullYear());
  const mm = two(at.getUTCMonth() + 1);
  const dd = two(at.getUTCDate());
  const stamp = `${yyyy}${mm}${dd}T${two(at.getUTCHours())}${two(at.getUTCMinutes())}Z`;
  return `AWSLogs/${o.account}/VpcLattice/${source}/${o.region}/${yyyy}/${mm}/${dd}/${o.account}_${type}_${o.region}_${o.subscriptionId}_${stamp}_${hash}.log.gz`;
}

export class S3Sink implements Sink {
  readonly describe: string;
  readonly maxBatchRecords = 100_000;
  readonly maxBatchBytes = 16 * 1024 * 1024;
  readonly #o: S3SinkOptions;
  readonly #now: () => number;
  readonly #client: S3Client | undefined;
  #seq = 0;

  constructor(opts: S3SinkOptions) {
    this.describe = opts.endpoint ? `bucket ${opts.bucket} at ${opts.endpoint.url}` : `bucket ${opts.bucket}`;
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    const ep = opts.endpoint;
    if (ep) {
      this.#client = new S3Client({
        endpoint: ep.url, region: ep.region, credentials: ep.credentials,
        forcePathStyle: true, // MinIO, Ceph and Garage serve buckets by path, not by subdomain
        maxAttempts: 1,
        // Only the checksums S3 requires: several S3-compatible servers reject the SDK's default
        // CRC32 trailers on PutObject.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
      });
    }
  }

  async deliver(lines: readonly string[]): Promise<void> {
    const body = await gz(linesToBuffer(lines));
    const hash = createHash('sha256').update(body).update(`${process.pid}/${++this.#seq}`).digest('hex').slice(0, 8);
    const key = s3ObjectKey(this.#o, new Date(this.#now()), hash);
    if (this.#client) return this.#put(this.#client, key, body);
    const file = join(this.#o.dataDir, 's3', this.#o.bucket, key);
    await mkdir(dirname(file), { recursive: true });
    const tmp = join(dirname(file), `.${hash}.tmp`);
    await writeFile(tmp, body);
    await rename(tmp, file);
  }

  async #put(client: S3Client, key: string, body: Buffer): Promise<void> {
    try {
      // The object is a gzip file (as AWS's vended logs are), not a gzip-encoded document: no
      // Content-Encoding, which would make browsers and HTTP clients unpack it on download.
      await client.send(new PutObjectCommand({ Bucket: this.#o.bucket, Key: key, Body: body, ContentType: 'application/gzip' }));
    } catch (err) {
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode ? `HTTP ${e.$metadata.httpStatusCode} ` : '';
      throw new Error(`PutObject ${this.#o.bucket}/${key}: ${status}${e.name ?? 'Error'}: ${e.message ?? String(err)}`);
    }
  }

  async close(): Promise<void> {
    this.#client?.destroy();
  }
}
