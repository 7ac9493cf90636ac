// Starts a real Trellis on 127.0.0.1 port 0 with a fresh data dir, and builds official AWS SDK
// clients pointed at it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VPCLatticeClient } from '@aws-sdk/client-vpc-lattice';
import { startTrellis, type Trellis, type TrellisOptions } from '../../src/server/trellis.ts';
import { sign } from '../../src/iam/sigv4.ts';

export interface Harness {
  trellis: Trellis;
  dataDir: string;
  client: VPCLatticeClient;
  clientFor(accessKeyId: string, secretAccessKey: string): VPCLatticeClient;
  /** Creates a second account through the admin endpoint and returns a client for it. */
  newAccount(accountId?: string): Promise<{ accountId: string; client: VPCLatticeClient }>;
  close(): Promise<void>;
}

export async function startHarness(opts: Partial<TrellisOptions> = {}): Promise<Harness> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'trellis-test-'));
  const trellis = await startTrellis({ apiPort: 0, dnsPort: 0, accessKeyId: 'AKIATESTADMIN0000001', secretAccessKey: 'test-secret-key-for-admin', ...opts, dataDir });
  const clients: VPCLatticeClient[] = [];
  const clientFor = (accessKeyId: string, secretAccessKey: string) => {
    const c = new VPCLatticeClient({ endpoint: trellis.api, region: trellis.region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const client = clientFor(trellis.accessKeyId, trellis.secretAccessKey);
  return {
    trellis, dataDir, client, clientFor,
    async newAccount(accountId?: string) {
      const url = new URL('/_trellis/accounts', trellis.api);
      const body = JSON.stringify(accountId ? { accountId } : {});
      const headers = sign({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body, accessKeyId: trellis.accessKeyId, secretAccessKey: trellis.secretAccessKey, region: trellis.region, service: 'vpc-lattice' });
      delete headers.host;
      const res = await fetch(url, { method: 'POST', headers, body });
      if (res.status !== 201) throw new Error(`account creation failed: ${res.status} ${await res.text()}`);
      const out = await res.json() as { accountId: string; accessKeyId: string; secretAccessKey: string };
      return { accountId: out.accountId, client: clientFor(out.accessKeyId, out.secretAccessKey) };
    },
    async close() {
      for (const c of clients) c.destroy();
      await trellis.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A raw HTTP request to the API, SigV4-signed as the SDK would (for bodies the SDK won't send). */
export async function signedFetch(h: Harness, method: string, path: string, body?: string, creds = { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey }): Promise<Response> {
  const url = new URL(path, h.trellis.api);
  const headers = sign({ method, url, headers: body !== undefined ? { 'content-type': 'application/json' } : {}, body, ...creds, region: h.trellis.region, service: 'vpc-lattice' });
  delete headers.host;
  return fetch(url, { method, headers, body });
}
