// The local CA and the certificates HTTPS listeners serve, over real TLS handshakes on loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { LocalCa } from '../../src/dataplane/tls/ca.ts';
import { Certificates } from '../../src/dataplane/tls/certificates.ts';

const BIN = fileURLToPath(new URL('../../bin/trellis', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const CA_CLI = fileURLToPath(new URL('../../src/cli/ca.ts', import.meta.url));
const run = promisify(execFile);

const SVC = 'my-svc-0123.abc1234.vpc-lattice-svcs.us-east-1.on.aws';
const DAY = 86_400_000;

let dir: string;
let otherDir: string;
let ca: LocalCa;
let otherCa: LocalCa;
let certs: Certificates;
let server: tls.Server;
let port: number;
const clientErrors: Error[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trellis-ca-'));
  otherDir = mkdtempSync(join(tmpdir(), 'trellis-ca-other-'));
  // Concurrent opens of a fresh dir must agree on one CA.
  const opened = await Promise.all(Array.from({ length: 4 }, () => LocalCa.open(dir)));
  assert.equal(new Set(opened.map((c) => c.certPem)).size, 1);
  ca = opened[0];
  otherCa = await LocalCa.open(otherDir);
  certs = new Certificates(ca);
  server = tls.createServer(await certs.serverOptions(), (socket) => socket.end());
  server.on('tlsClientError', (err) => clientErrors.push(err));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
  rmSync(otherDir, { recursive: true, force: true });
});

interface Handshake { authorized: boolean; alpn: string | false; peer: X509Certificate; protocol: string | null }

/** Completes one handshake, reads what the client saw, and closes the socket. */
function handshake(options: tls.ConnectionOptions): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => {
      const raw = socket.getPeerX509Certificate();
      const result = { authorized: socket.authorized, alpn: socket.alpnProtocol ?? false, protocol: socket.getProtocol(), peer: raw! };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', (err) => { socket.destroy(); reject(err); });
  });
}

test('the CA: P-256, CA:true pathlen 0, 10 years, private key file, distinct per data dir', () => {
  const cert = new X509Certificate(ca.certPem);
  assert.equal(cert.ca, true);
  assert.match(cert.subject, /CN=Trellis Local CA [0-9a-f]{8}/);
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(cert.verify(cert.publicKey), 'self-signed');
  const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365 * DAY);
  assert.ok(years > 9.9 && years < 10.1, `${years} years`);
  assert.equal(statSync(join(dir, 'ca', 'ca-key.pem')).mode & 0o777, 0o600);
  assert.notEqual(new X509Certificate(otherCa.certPem).subject, cert.subject);
});

test('reopening the data dir gives the same CA', async () => {
  assert.equal((await LocalCa.open(dir)).certPem, ca.certPem);
});

test('a client trusting the CA verifies the leaf for the SNI name and negotiates h2', async () => {
  const h = await handshake({ servername: SVC, ca: ca.certPem, ALPNProtocols: ['h2'] });
  assert.equal(h.authorized, true);
  assert.equal(h.alpn, 'h2');
  assert.ok(h.peer.subjectAltName?.split(', ').includes(`DNS:${SVC}`), h.peer.subjectAltName);
  assert.equal(h.peer.ca, false);
  assert.ok(h.peer.checkIssued(new X509Certificate(ca.certPem)));
  assert.ok(h.peer.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), 'serverAuth EKU');
  // Without ALPN the listener falls back to HTTP/1.1, as Lattice does.
  assert.equal((await handshake({ servername: SVC, ca: ca.certPem })).alpn, false);
  assert.equal((await handshake({ servername: SVC, ca: ca.certPem, ALPNProtocols: ['http/1.1'] })).alpn, 'http/1.1');
});

test('TLS 1.1 is refused; 1.2 and 1.3 are accepted', async () => {
  const before = clientErrors.length;
  await assert.rejects(
    handshake({ servername: SVC, ca: ca.certPem, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
    /protocol version|unsupported protocol/i,
  );
  // Bounded wait for the server to report its side of the failed handshake.
  for (let i = 0; i < 100 && clientErrors.length === before; i++) await new Promise((r) => setTimeout(r, 10));
  assert.match(String(clientErrors.at(-1)), /unsupported protocol|version/i);
  assert.equal((await handshake({ servername: SVC, ca: ca.certPem, maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2');
  assert.equal((await handshake({ servername: SVC, ca: ca.certPem })).protocol, 'TLSv1.3');
});

test('a client that does not trust the CA is rejected', async () => {
  await assert.rejects(handshake({ servername: SVC }), (err: NodeJS.ErrnoException) => {
    assert.match(String(err.code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN/);
    return true;
  });
  await assert.rejects(handshake({ servername: SVC, ca: otherCa.certPem }), /unable to verify|issuer/i);
});

test('no SNI: the default certificate for localhost and 127.0.0.1', async () => {
  const h = await handshake({ ca: ca.certPem });
  assert.equal(h.authorized, true);
  assert.equal(h.peer.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
  assert.equal((await handshake({ servername: 'localhost', ca: ca.certPem })).authorized, true);
  assert.equal(await certs.defaultContext(), await certs.defaultContext());
});

test('one leaf per name, cached; concurrent first calls share one issuance; invalid names refused', async () => {
  const names = ['a-0001.x.vpc-lattice-svcs.us-east-1.on.aws', 'b-0002.x.vpc-lattice-svcs.us-east-1.on.aws'];
  const [a, b] = await Promise.all(names.map((n) => handshake({ servername: n, ca: ca.certPem })));
  assert.notEqual(a.peer.fingerprint256, b.peer.fingerprint256);
  assert.ok(a.peer.subjectAltName?.includes(names[0]) && b.peer.subjectAltName?.includes(names[1]));
  assert.equal(await certs.contextFor(SVC), await certs.contextFor(SVC.toUpperCase() + '.'));
  const fresh = 'c-0003.x.vpc-lattice-svcs.us-east-1.on.aws';
  const concurrent = await Promise.all(Array.from({ length: 5 }, () => certs.contextFor(fresh)));
  assert.equal(new Set(concurrent).size, 1);
  await assert.rejects(certs.contextFor('bad name'), /invalid TLS server name/);
  await assert.rejects(certs.contextFor('*.example.com'), /invalid TLS server name/);
  // The same name on a second handshake gets the same certificate.
  assert.equal((await handshake({ servername: names[0], ca: ca.certPem })).peer.fingerprint256, a.peer.fingerprint256);
});

test('renewal once a third of the lifetime is left; LRU bound', async () => {
  let now = Date.now();
  const local = new Certificates(ca, { now: () => now, maxIssued: 2 });
  const first = await local.contextFor(SVC);
  now += 59 * DAY;
  assert.equal(await local.contextFor(SVC), first, 'not yet');
  now += 2 * DAY;
  const renewed = await local.contextFor(SVC);
  assert.notEqual(renewed, first);
  assert.equal(await local.contextFor(SVC), renewed);
  await local.contextFor('one.example.com');
  await local.contextFor('two.example.com'); // evicts SVC, the least recently used
  assert.notEqual(await local.contextFor(SVC), renewed);
});

test('issue: validity backdated, clamped to 90 days by default, custom days', async () => {
  const leaf = await ca.issue(['svc.example.com', '127.0.0.2'], 7);
  const cert = new X509Certificate(leaf.certPem);
  assert.ok(Date.parse(cert.validFrom) < Date.now() - 30 * 60_000, 'backdated');
  const days = (leaf.notAfter.getTime() - Date.now()) / DAY;
  assert.ok(days > 6.9 && days <= 7, `${days}`);
  assert.equal(cert.subjectAltName, 'DNS:svc.example.com, IP Address:127.0.0.2');
  assert.ok(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(leaf.keyPem)));
  const def = await ca.issue(['svc.example.com']);
  assert.ok(Math.abs((def.notAfter.getTime() - Date.now()) / DAY - 90) < 0.01);
  await assert.rejects(ca.issue(['not valid']), /not a DNS name/);
});

test('user certificates win over issued ones: exact names and one-label wildcards', async () => {
  const wildcard = await otherCa.issue(['*.example.com']);
  const exact = await otherCa.issue([SVC]);
  certs.addCertificate(['*.example.com'], wildcard.certPem, wildcard.keyPem);
  certs.addCertificate([SVC], exact.certPem, exact.keyPem);
  const issuedBy = (h: Handshake) => h.peer.issuer;
  const other = new X509Certificate(otherCa.certPem).subject;
  const local = new X509Certificate(ca.certPem).subject;

  const w = await handshake({ servername: 'api.example.com', ca: otherCa.certPem });
  assert.equal(w.authorized, true);
  assert.equal(w.peer.fingerprint256, new X509Certificate(wildcard.certPem).fingerprint256);
  const e = await handshake({ servername: SVC, ca: otherCa.certPem });
  assert.equal(e.authorized, true);
  assert.equal(issuedBy(e), other);
  // A wildcard covers exactly one label: neither the bare parent nor two labels deep.
  assert.equal(issuedBy(await handshake({ servername: 'a.b.example.com', ca: ca.certPem })), local);
  assert.equal(issuedBy(await handshake({ servername: 'example.com', ca: ca.certPem })), local);

  certs.removeCertificate([SVC]);
  assert.equal(issuedBy(await handshake({ servername: SVC, ca: ca.certPem })), local);
  assert.throws(() => certs.addCertificate(['x.example.com'], wildcard.certPem, exact.keyPem), /key values mismatch|mismatch/i);
});

test('trellis ca prints the CA certificate (creating it), and --help', async () => {
  const fresh = mkdtempSync(join(tmpdir(), 'trellis-ca-cli-'));
  try {
    // Through bin/trellis once main.ts dispatches "ca"; until then through the module itself.
    const wired = readFileSync(MAIN, 'utf8').includes('caCommand');
    const cli = (args: string[]) => wired
      ? run(BIN, ['ca', ...args])
      : run(process.execPath, ['--input-type=module', '-e', `const { caCommand } = await import(${JSON.stringify(CA_CLI)}); await caCommand(process.argv.slice(1));`, '--', ...args]);
    const { stdout } = await cli(['--data-dir', join(fresh, 'data')]);
    const cert = new X509Certificate(stdout);
    assert.equal(cert.ca, true);
    assert.match(stdout, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    assert.equal((await LocalCa.open(join(fresh, 'data'))).certPem, stdout);
    assert.equal((await cli(['--data-dir', join(fresh, 'data')])).stdout, stdout, 'printed again, not recreated');
    assert.match((await cli(['--help'])).stdout, /Usage: trellis ca/);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});
