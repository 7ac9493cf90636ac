// A custom domain name with the user's own certificate, end to end: the certificate is imported
// through the ACM API, named by the service's certificateArn, and served for that SNI name on the
// service's HTTPS listener; the generated name keeps the Trellis CA's certificate.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { join } from 'node:path';
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CreateServiceCommand, CreateListenerCommand, CreateServiceNetworkServiceAssociationCommand, UpdateServiceCommand } from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, freePort, type Echo } from '../helpers/echo.ts';
import { createNetwork, createTargetGroup } from '../helpers/lattice.ts';
import { LocalCa } from '../../src/dataplane/tls/ca.ts';

let h: Harness;
let echo: Echo;
before(async () => {
  h = await startHarness();
  echo = await startEcho('shop');
});
after(async () => {
  await h.close();
  await echo.close();
});

function handshake(port: number, servername: string, ca: string): Promise<{ authorized: boolean; error?: string; issuer: string; body: string }> {
  return new Promise((resolve) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername, ca, ALPNProtocols: ['http/1.1'] }, () => {
      sock.write(`GET /cart HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
    });
    let body = '';
    sock.on('data', (d: Buffer) => { body += d; });
    sock.on('end', () => resolve({ authorized: sock.authorized, issuer: String(sock.getPeerCertificate().issuer?.CN), body }));
    sock.on('error', (e) => resolve({ authorized: false, error: e.message, issuer: '', body }));
  });
}

test('HTTPS on a custom domain serves the imported ACM certificate; the generated name keeps the Trellis CA', async () => {
  const name = 'shop.custom.example';
  const userCa = await LocalCa.open(join(h.dataDir, 'user-ca'));
  const leaf = await userCa.issue([name]);
  const acm = new ACMClient({ endpoint: h.trellis.api, region: h.trellis.region, credentials: { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey } });
  const { CertificateArn } = await acm.send(new ImportCertificateCommand({ Certificate: Buffer.from(leaf.certPem), PrivateKey: Buffer.from(leaf.keyPem), CertificateChain: Buffer.from(userCa.certPem) }));
  acm.destroy();

  const port = await freePort();
  const network = await createNetwork(h.client, h.trellis.defaultVpcId);
  const svc = await h.client.send(new CreateServiceCommand({ name: 'shop', customDomainName: name, certificateArn: CertificateArn }));
  const tg = await createTargetGroup(h.client, 'shop-tg', [echo.port], { vpcId: h.trellis.defaultVpcId });
  await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'https', protocol: 'HTTPS', port, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg.id }] } } }));
  await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.id, serviceNetworkIdentifier: network.id }));

  const custom = await handshake(port, name, userCa.certPem);
  assert.equal(custom.error, undefined);
  assert.equal(custom.authorized, true);
  assert.match(custom.body, /^HTTP\/1\.1 200/);
  assert.match(custom.body, /"url":"\/cart"/);

  const trellisCa = (await LocalCa.open(h.dataDir)).certPem;
  const generated = await handshake(port, svc.dnsEntry!.domainName!, trellisCa);
  assert.equal(generated.authorized, true);
  assert.match(generated.issuer, /Trellis Local CA/);
  assert.notEqual(generated.issuer, custom.issuer);

  // Without the certificate, the custom name is served by the Trellis CA instead.
  await h.client.send(new UpdateServiceCommand({ serviceIdentifier: svc.id, certificateArn: '' }));
  let after = await handshake(port, name, userCa.certPem);
  for (let i = 0; i < 50 && after.authorized; i++) after = await handshake(port, name, userCa.certPem);
  assert.equal(after.authorized, false, 'the user certificate is no longer served');
  assert.equal((await handshake(port, name, trellisCa)).authorized, true);
});
