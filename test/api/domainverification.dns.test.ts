// Domain verification checked over real DNS, then used: a test DNS server (UDP, dns-packet) is
// Trellis's upstream and publishes the TXT record when the test says so; the verifier
// (src/server/domainverifier.ts) marks the verification VERIFIED; ACM (official @aws-sdk/client-acm)
// then issues certificates from the Trellis CA for the domain and its subdomains; and a Lattice
// service serves that certificate on its custom domain name over HTTPS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { decode, encode, RECURSION_DESIRED, type Answer, type Packet } from 'dns-packet';
import {
  CreateListenerCommand, CreateServiceCommand, CreateServiceNetworkServiceAssociationCommand, GetDomainVerificationCommand,
  StartDomainVerificationCommand, type GetDomainVerificationCommandOutput,
} from '@aws-sdk/client-vpc-lattice';
import { ACMClient, DescribeCertificateCommand, GetCertificateCommand, RequestCertificateCommand, RequestInProgressException, type CertificateDetail } from '@aws-sdk/client-acm';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, type Echo } from '../helpers/echo.ts';
import { createNetwork, createTargetGroup } from '../helpers/lattice.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { LocalCa } from '../../src/dataplane/tls/ca.ts';
import { resolverServers } from '../../src/server/domainverifier.ts';

const ACCT = '111122223333';
const STALE = 'dv-00000000000000e01';

/** An authoritative DNS server on 127.0.0.1 (UDP): TXT records from `txt`, NXDOMAIN for the rest. */
interface Upstream { address: string; txt: Map<string, string[]>; queries: Map<string, number>; close(): void }
async function startUpstream(): Promise<Upstream> {
  const txt = new Map<string, string[]>();
  const queries = new Map<string, number>();
  const sock: Socket = createSocket('udp4');
  sock.on('message', (msg, rinfo) => {
    let q: Packet;
    try { q = decode(msg); } catch { return; }
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase();
    if (question.type === 'TXT') queries.set(name, (queries.get(name) ?? 0) + 1);
    const values = txt.get(name);
    const answers: Answer[] = question.type === 'TXT' ? (values ?? []).map((v) => ({ name: question.name, type: 'TXT', ttl: 0, data: v })) : [];
    const rcode = values ? 0 : 3; // NOERROR (maybe no data), or NXDOMAIN
    sock.send(encode({ type: 'response', id: q.id, flags: ((q.flags ?? 0) & RECURSION_DESIRED) | rcode, questions: [question], answers }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { address: `127.0.0.1:${sock.address().port}`, txt, queries, close: () => sock.close() };
}

/** Calls `fn` until `ok` holds (bounded), returning the last result. */
async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await sleep(50);
  }
}

let h: Harness;
let dns: Upstream;
let echo: Echo;
let acm: ACMClient;
let dataDir: string;

before(async () => {
  dns = await startUpstream();
  echo = await startEcho('shop');
  // A verification started 73 hours ago and never completed: the verifier times it out.
  dataDir = mkdtempSync(join(tmpdir(), 'trellis-dv-'));
  const store = new SqliteStore(join(dataDir, 'trellis.db'));
  const old = new Date(Date.now() - 73 * 3600_000).toISOString();
  await store.commit([{
    key: `dv/${STALE}`,
    value: {
      id: STALE, arn: `arn:aws:vpc-lattice:us-east-1:${ACCT}:domainverification/${STALE}`, account: ACCT, createdAt: old, lastUpdatedAt: old,
      domainName: 'stale.example.net', status: 'PENDING', txtMethodConfig: { name: '_vpc-lattice-verification.stale.example.net', value: 'vpc-lattice-verification=0' },
    },
  }]).finally(() => store.close());
  h = await startHarness({ dataDir, accountId: ACCT, dnsUpstreams: [dns.address], domainVerificationIntervalMs: 100 });
  acm = new ACMClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials: { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey }, maxAttempts: 1 });
});
after(async () => {
  acm?.destroy();
  await h?.close();
  await echo?.close();
  dns?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const getDv = (id: string) => h.client.send(new GetDomainVerificationCommand({ domainVerificationIdentifier: id }));
const describe = async (arn: string) => (await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate!;

let certificateArn = '';

test('StartDomainVerification is PENDING until the TXT record is published with its value; then VERIFIED', async () => {
  const started = await h.client.send(new StartDomainVerificationCommand({ domainName: 'shop.example.net' }));
  assert.equal(started.status, 'PENDING');
  const { name, value } = started.txtMethodConfig!;
  assert.equal(name, '_vpc-lattice-verification.shop.example.net');

  // The verifier asks the upstream soon after Start; nothing published yet: still PENDING.
  await until('first lookup', async () => dns.queries.get(name!) ?? 0, (n) => n >= 1, 5000);
  assert.equal((await getDv(started.id!)).status, 'PENDING');

  // A wrong value is looked up again and again, and the verification stays PENDING.
  dns.txt.set(name!, ['vpc-lattice-verification=not-the-value']);
  const seen = dns.queries.get(name!)!;
  await until('lookups of the wrong value', async () => dns.queries.get(name!) ?? 0, (n) => n >= seen + 3, 5000);
  const wrong = await getDv(started.id!);
  assert.equal(wrong.status, 'PENDING');
  assert.equal(wrong.lastVerifiedTime, undefined);

  // The right value, beside others at the same name: VERIFIED, with the time it was seen.
  const before = Date.now();
  dns.txt.set(name!, ['v=spf1 -all', value!]);
  const verified = await until('VERIFIED', () => getDv(started.id!), (d: GetDomainVerificationCommandOutput) => d.status === 'VERIFIED', 5000);
  assert.ok(verified.lastVerifiedTime instanceof Date);
  assert.ok(verified.lastVerifiedTime.getTime() >= before - 1000 && verified.lastVerifiedTime.getTime() <= Date.now() + 1000);

  // A verified domain is not looked up again.
  const after = dns.queries.get(name!)!;
  await sleep(400);
  assert.ok(dns.queries.get(name!)! <= after + 1, 'no more lookups once VERIFIED');
});

test('a PENDING verification older than 72 hours becomes VERIFICATION_TIMED_OUT', async () => {
  const d = await until('timed out', () => getDv(STALE), (v: GetDomainVerificationCommandOutput) => v.status !== 'PENDING', 5000);
  assert.equal(d.status, 'VERIFICATION_TIMED_OUT');
  assert.equal(d.lastVerifiedTime, undefined);
});

test('RequestCertificate for verified names is issued by the Trellis CA; an unverified name stays PENDING_VALIDATION', async () => {
  ({ CertificateArn: certificateArn } = await acm.send(new RequestCertificateCommand({
    DomainName: 'shop.example.net', SubjectAlternativeNames: ['api.shop.example.net'], ValidationMethod: 'DNS',
  })) as { CertificateArn: string });
  const { CertificateArn: unverifiedArn } = await acm.send(new RequestCertificateCommand({ DomainName: 'shop.example.org', ValidationMethod: 'DNS' }));

  const issued = await until('ISSUED', () => describe(certificateArn), (c: CertificateDetail) => c.Status === 'ISSUED');
  assert.equal(issued.Type, 'AMAZON_ISSUED');
  assert.deepEqual(issued.SubjectAlternativeNames, ['shop.example.net', 'api.shop.example.net']);
  assert.ok(issued.DomainValidationOptions!.every((o) => o.ValidationStatus === 'SUCCESS'));
  assert.ok(issued.IssuedAt instanceof Date && issued.NotAfter instanceof Date);

  const { Certificate, CertificateChain } = await acm.send(new GetCertificateCommand({ CertificateArn: certificateArn }));
  const ca = new X509Certificate((await LocalCa.open(h.dataDir)).certPem);
  const leaf = new X509Certificate(Certificate!);
  assert.ok(leaf.verify(ca.publicKey), 'the certificate is signed by the Trellis CA');
  assert.equal(leaf.issuer, ca.subject);
  assert.equal(leaf.checkHost('shop.example.net'), 'shop.example.net');
  assert.equal(leaf.checkHost('api.shop.example.net'), 'api.shop.example.net');
  assert.equal(leaf.checkHost('shop.example.org'), undefined);
  assert.equal(new X509Certificate(CertificateChain!).fingerprint256, ca.fingerprint256);
  assert.equal(issued.Serial?.replace(/:/g, '').toUpperCase(), leaf.serialNumber.toUpperCase());

  const unverified = await describe(unverifiedArn!);
  assert.equal(unverified.Status, 'PENDING_VALIDATION');
  assert.equal(unverified.DomainValidationOptions![0].ValidationStatus, 'PENDING_VALIDATION');
  await assert.rejects(acm.send(new GetCertificateCommand({ CertificateArn: unverifiedArn })), RequestInProgressException);
});

function handshake(port: number, servername: string, ca: string): Promise<{ authorized: boolean; error?: string; fingerprint: string; body: string }> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername, ca, ALPNProtocols: ['http/1.1'] }, () => {
      sock.write(`GET /cart HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
    });
    let body = '';
    sock.on('data', (d: Buffer) => { body += d; });
    sock.on('end', () => resolve({ authorized: sock.authorized, fingerprint: sock.getPeerCertificate().fingerprint256 ?? '', body }));
    sock.on('error', (e) => resolve({ authorized: false, error: e.message, fingerprint: '', body }));
  });
}

test('a service on the verified custom domain serves the issued certificate; a client trusting only the Trellis CA verifies it', async () => {
  assert.ok(certificateArn, 'the certificate of the previous test');
  const { Certificate } = await acm.send(new GetCertificateCommand({ CertificateArn: certificateArn }));
  const issued = new X509Certificate(Certificate!).fingerprint256;

  const port = await freePort();
  const network = await createNetwork(h.client, h.trellis.defaultVpcId);
  const svc = await h.client.send(new CreateServiceCommand({ name: 'shop', customDomainName: 'shop.example.net', certificateArn }));
  const tg = await createTargetGroup(h.client, 'shop-tg', [echo.port], { vpcId: h.trellis.defaultVpcId });
  await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'https', protocol: 'HTTPS', port, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg.id }] } } }));
  await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.id, serviceNetworkIdentifier: network.id }));

  const trellisCa = (await LocalCa.open(h.dataDir)).certPem;
  // Until the Snapshot with the service is applied, the name may get no certificate or the CA's own.
  const got = await until('the issued certificate served', () => handshake(port, 'shop.example.net', trellisCa), (r) => r.fingerprint === issued);
  assert.equal(got.error, undefined);
  assert.equal(got.authorized, true);
  assert.match(got.body, /^HTTP\/1\.1 200/);
  assert.match(got.body, /"url":"\/cart"/);

  assert.deepEqual((await describe(certificateArn)).InUseBy, [svc.arn]);
});

test('the verifier never asks Trellis\'s own DNS port', () => {
  const own = { host: '127.0.0.1', port: 8453 };
  const servers = [{ host: '127.0.0.1', port: 8453 }, { host: '127.0.0.1', port: 53 }, { host: '192.0.2.53', port: 8453 }, { host: '::1', port: 53 }];
  assert.deepEqual(resolverServers(servers, own), servers.slice(1));
  // Listening on every address: any local address on that port is ours.
  const wildcard = { host: '0.0.0.0', port: 53 };
  assert.deepEqual(resolverServers([{ host: '127.0.0.53', port: 53 }, { host: '::1', port: 53 }, { host: '192.0.2.53', port: 53 }, { host: '127.0.0.1', port: 5353 }], wildcard),
    [{ host: '192.0.2.53', port: 53 }, { host: '127.0.0.1', port: 5353 }]);
});
