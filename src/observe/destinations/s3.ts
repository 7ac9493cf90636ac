// S3 bucket -> gzip-compressed objects of JSON lines, as files under <data-dir>/s3/<bucket>/.
//
// Key layout, after the one AWS uses for vended logs delivered to S3 (AWSLogs/<account>/<source>/
// <region>/<yyyy>/<mm>/<dd>/<account>_<logtype>_<region>_<id>_<yyyymmddTHHmmZ>_<hash>.log.gz, as
// VPC flow logs document it) with VpcLattice/AccessLogs or VpcLattice/ResourceAccessLogs as the
// source [unverified: the Lattice User Guide's exact key could not be read here]:
//   AWSLogs/<account>/VpcLattice/AccessLogs/<region>/<yyyy>/<mm>/<dd>/
//     <account>_vpclatticeaccesslogs_<region>_<als-id>_<yyyymmddTHHmmZ>_<hash>.log.gz
// <account> is the subscription owner's, the date is the UTC time of the write, and <hash> (8 hex
// digits) tells apart objects written in the same minute. One object per batch; each is written
// to a temporary name and renamed, so a reader never sees a partial object. A real
// S3-compatible endpoint is not supported (out of scope: it needs a SigV4 S3 client).
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Sink } from '../delivery.ts';
import type { LogKind } from '../subscriptions.ts';

const gz = promisify(gzip);

export interface S3SinkOptions {
  dataDir: string;
  bucket: string;
  account: string;
  region: string;
  subscriptionId: string;
  kind: LogKind;
  now?: () => number;
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
  #seq = 0;

  constructor(opts: S3SinkOptions) {
    this.describe = `bucket ${opts.bucket}`;
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
  }

  async deliver(lines: readonly string[]): Promise<void> {
    const body = await gz(lines.join('\n') + '\n');
    const hash = createHash('sha256').update(body).update(`${process.pid}/${++this.#seq}`).digest('hex').slice(0, 8);
    const file = join(this.#o.dataDir, 's3', this.#o.bucket, s3ObjectKey(this.#o, new Date(this.#now()), hash));
    await mkdir(dirname(file), { recursive: true });
    const tmp = join(dirname(file), `.${hash}.tmp`);
    await writeFile(tmp, body);
    await rename(tmp, file);
  }

  async close(): Promise<void> {}
}
