// The composition root of `trellis up`: store, view, bootstrap identity, default VPC, API server
// and DNS port, wired together; start() returns the endpoints and a stop function.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { SqliteStore } from '../store/sqlite.ts';
import { View } from '../store/view.ts';
import { createApiServer } from '../api/server.ts';
import { latticeHandlers } from '../api/lattice/index.ts';
import { DEFAULT_QUOTAS, type Quotas } from '../api/lattice/quotas.ts';
import { accountWrites, newAccessKey, ACCOUNT_ID, type AccessKeyRecord } from '../iam/identities.ts';
import { ensureDefaultVpc } from '../api/ec2/vpcs.ts';
import { startDnsServer, type DnsServer } from '../dns/server.ts';

export interface TrellisOptions {
  dataDir: string;
  apiPort?: number;
  dnsPort?: number;
  portOffset?: number;
  region?: string;
  host?: string;
  quotas?: Quotas;
  /** Bootstrap credentials; default from TRELLIS_* environment variables, else generated. */
  accessKeyId?: string;
  secretAccessKey?: string;
  accountId?: string;
  synchronous?: 'normal' | 'full';
  log?: (line: string) => void;
}

export interface Endpoints {
  api: string;
  dns: string;
  region: string;
  accountId: string;
  defaultVpcId: string;
  dataPlaneAddress: string;
  portOffset: number;
  credentialsFile: string;
}

export interface Trellis extends Endpoints {
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

export async function startTrellis(opts: TrellisOptions): Promise<Trellis> {
  const dataDir = resolve(opts.dataDir);
  const region = opts.region ?? 'us-east-1';
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  mkdirSync(dataDir, { recursive: true });
  const store = new SqliteStore(join(dataDir, 'trellis.db'), { synchronous: opts.synchronous });
  const { view, stop: stopView } = await View.open(store);

  const key = await bootstrapIdentity(store, view, dataDir, opts);
  const defaultVpcId = await ensureDefaultVpc(store, view, key.accountId, region);

  const api = createApiServer({ store, view, region, quotas: opts.quotas ?? { ...DEFAULT_QUOTAS }, handlers: latticeHandlers, log });
  let dns: DnsServer | undefined;
  try {
    await listen(api, opts.apiPort ?? 8470, host);
    dns = await startDnsServer(host, opts.dnsPort ?? 8453);
  } catch (err) {
    api.close();
    stopView();
    store.close();
    throw err;
  }
  const apiPort = (api.address() as AddressInfo).port;
  return {
    api: `http://${host}:${apiPort}`,
    dns: `${host}:${dns.port}`,
    region,
    accountId: key.accountId,
    defaultVpcId,
    dataPlaneAddress: host,
    portOffset: opts.portOffset ?? 0,
    credentialsFile: join(dataDir, 'credentials'),
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    async stop() {
      api.closeAllConnections();
      await new Promise<void>((r) => api.close(() => r()));
      await dns?.close();
      stopView();
      store.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The first administrator: from the options or TRELLIS_* variables when given (replacing an older
 * key of that id), else the one stored, else a new random key pair. Its credentials file is
 * (re)written in AWS shared-credentials format, profile "trellis".
 */
async function bootstrapIdentity(store: SqliteStore, view: View, dataDir: string, opts: TrellisOptions): Promise<AccessKeyRecord> {
  const accessKeyId = opts.accessKeyId ?? (process.env.TRELLIS_ACCESS_KEY_ID || undefined);
  const secretAccessKey = opts.secretAccessKey ?? (process.env.TRELLIS_SECRET_ACCESS_KEY || undefined);
  const accountId = opts.accountId ?? (process.env.TRELLIS_ACCOUNT_ID || '111122223333');
  if (!ACCOUNT_ID.test(accountId)) throw new Error(`TRELLIS_ACCOUNT_ID must be 12 digits, got "${accountId}"`);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new Error('set both TRELLIS_ACCESS_KEY_ID and TRELLIS_SECRET_ACCESS_KEY, or neither');
  }
  let key: AccessKeyRecord | undefined;
  if (accessKeyId && secretAccessKey) {
    const stored = view.get<AccessKeyRecord>('accesskey', accessKeyId);
    if (!stored || stored.secretAccessKey !== secretAccessKey || stored.accountId !== accountId || !stored.admin) {
      await store.commit(accountWrites(accountId, 'trellis-admin', { accessKeyId, secretAccessKey }, true, view.get('account', accountId) !== undefined));
    }
    key = view.get<AccessKeyRecord>('accesskey', accessKeyId)!;
  } else {
    for (const k of view.all<AccessKeyRecord>('accesskey')) if (k.admin) { key = k; break; }
    if (!key) {
      const fresh = newAccessKey();
      await store.commit(accountWrites(accountId, 'trellis-admin', fresh, true, view.get('account', accountId) !== undefined));
      key = view.get<AccessKeyRecord>('accesskey', fresh.accessKeyId)!;
    }
  }
  const file = join(dataDir, 'credentials');
  const text = `[trellis]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`;
  writeFileSync(file, text, { mode: 0o600 });
  return key;
}
