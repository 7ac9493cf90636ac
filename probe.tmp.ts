import net from 'node:net';
import { readFileSync } from 'node:fs';
import { CreateServiceCommand, CreateListenerCommand, CreateServiceNetworkServiceAssociationCommand } from '@aws-sdk/client-vpc-lattice';
import { startHarness } from '/work/main/test/helpers/trellis.ts';
import { startEcho, freePort } from '/work/main/test/helpers/echo.ts';
import { createNetwork, createTargetGroup } from '/work/main/test/helpers/lattice.ts';

const cases = JSON.parse(readFileSync('/work/shared/vectors/http/cases.json', 'utf8')).cases;
const h = await startHarness();
const echo = await startEcho('a');
const port = await freePort();
const vpc = h.trellis.defaultVpcId;
const netw = await createNetwork(h.client, vpc);
const svc = await h.client.send(new CreateServiceCommand({ name: 'hard', customDomainName: 'svc.example' }));
const tg = await createTargetGroup(h.client, 'hard-tg', [echo.port], { vpcId: vpc });
await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'l', protocol: 'HTTP', port, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg.id }] } } }));
await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.id, serviceNetworkIdentifier: netw.id }));
await new Promise((r) => setTimeout(r, 300));

function send(raw: Buffer): Promise<{ out: string; closed: boolean; err?: string }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    let done = false;
    const fin = (closed: boolean, err?: string) => { if (done) return; done = true; clearTimeout(t); s.destroy(); resolve({ out, closed, err }); };
    const t = setTimeout(() => fin(false), 1500);
    s.on('data', (d) => { out += d.toString('latin1'); });
    s.on('end', () => fin(true));
    s.on('close', () => fin(true));
    s.on('error', (e) => fin(true, (e as NodeJS.ErrnoException).code));
    s.write(raw);
  });
}
const only = process.argv[2];
for (const c of cases) {
  if (!c.raw_b64 || (only && !c.id.startsWith(only))) continue;
  if (c.id.startsWith('SLOW')) continue;
  const before = echo.seen.length;
  const r = await send(Buffer.from(c.raw_b64, 'base64'));
  const statuses = [...r.out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
  const seen = echo.seen.slice(before).map((s) => `${s.method} ${s.url} body=${s.body.length}`);
  console.log(c.id.padEnd(9), JSON.stringify(c.expected).slice(0, 80).padEnd(80), '=>', statuses.join(','), r.closed ? 'closed' : 'open', r.err ?? '', JSON.stringify(seen).slice(0, 120));
}
await echo.close();
await h.close();
