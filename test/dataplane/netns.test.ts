// VPC boundaries across real Linux network namespaces (root only; skipped otherwise): a namespace
// joined to the host by a veth pair holds two client addresses in the 198.18.0.0/15 benchmarking
// range, one in a VPC associated with the service network and one in a VPC that is not. `dig` and
// `curl` run inside the namespace, as a client host would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { EC2Client, CreateVpcCommand } from '@aws-sdk/client-ec2';
import { CreateServiceCommand, CreateListenerCommand, CreateServiceNetworkServiceAssociationCommand } from '@aws-sdk/client-vpc-lattice';
import { startHarness, type Harness } from '../helpers/trellis.ts';
import { startEcho, type Echo } from '../helpers/echo.ts';
import { createNetwork, createTargetGroup } from '../helpers/lattice.ts';

const run = promisify(execFile);
const NS = `trellis-${process.pid}`;
const HOST_IF = `trh${process.pid % 100000}`;
const NS_IF = `trn${process.pid % 100000}`;
const PORT = 18000 + (process.pid % 1000);

function canUseNamespaces(): string | false {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  for (const tool of ['ip', 'curl', 'dig']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed`;
    }
  }
  try {
    execFileSync('ip', ['netns', 'add', `${NS}-probe`]);
    execFileSync('ip', ['netns', 'del', `${NS}-probe`]);
  } catch {
    return 'this machine does not allow creating network namespaces';
  }
  return false;
}
const skip = canUseNamespaces();

const sh = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
const inNs = (cmd: string, args: string[]) => run('ip', ['netns', 'exec', NS, cmd, ...args]);

let h: Harness;
let echo: Echo;
let host: string;

before(async () => {
  if (skip) return;
  sh('netns', 'add', NS);
  sh('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NS_IF);
  sh('link', 'set', NS_IF, 'netns', NS);
  sh('addr', 'add', '198.18.0.1/24', 'dev', HOST_IF);
  sh('addr', 'add', '198.18.1.1/24', 'dev', HOST_IF);
  sh('link', 'set', HOST_IF, 'up');
  sh('-n', NS, 'addr', 'add', '198.18.0.2/24', 'dev', NS_IF);
  sh('-n', NS, 'addr', 'add', '198.18.1.2/24', 'dev', NS_IF);
  sh('-n', NS, 'link', 'set', NS_IF, 'up');
  sh('-n', NS, 'link', 'set', 'lo', 'up');

  h = await startHarness({ host: '198.18.0.1' });
  echo = await startEcho('in-host');
  const ec2 = new EC2Client({ endpoint: h.trellis.api, region: h.trellis.region, credentials: { accessKeyId: h.trellis.accessKeyId, secretAccessKey: h.trellis.secretAccessKey } });
  const inside = await ec2.send(new CreateVpcCommand({ CidrBlock: '198.18.0.0/24' }));
  await ec2.send(new CreateVpcCommand({ CidrBlock: '198.18.1.0/24' }));
  ec2.destroy();
  const network = await createNetwork(h.client, inside.Vpc!.VpcId!);
  const svc = await h.client.send(new CreateServiceCommand({ name: 'across-namespaces' }));
  const tg = await createTargetGroup(h.client, 'across-tg', [echo.port], { vpcId: h.trellis.defaultVpcId });
  await h.client.send(new CreateListenerCommand({ serviceIdentifier: svc.id, name: 'http', protocol: 'HTTP', port: PORT, defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg.id }] } } }));
  await h.client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.id, serviceNetworkIdentifier: network.id }));
  host = svc.dnsEntry!.domainName!;
});

after(async () => {
  if (skip) return;
  await h?.close();
  await echo?.close();
  try { sh('netns', 'del', NS); } catch { /* already gone */ }
  try { sh('link', 'del', HOST_IF); } catch { /* went with the namespace */ }
});

test('from a namespace: the associated VPC resolves the service and reaches it; the other VPC gets NXDOMAIN and a refusal', { skip }, async () => {
  const dnsPort = h.trellis.dns.split(':')[1];
  const dig = async (from: string) => (await inNs('dig', ['@198.18.0.1', '-p', dnsPort, '-b', from, host, 'A', '+tries=1', '+time=2'])).stdout;
  const inside = await dig('198.18.0.2');
  assert.match(inside, /status: NOERROR/);
  assert.match(inside, new RegExp(`${host.replace(/\./g, '\\.')}\\.\\s+60\\s+IN\\s+A\\s+198\\.18\\.0\\.1`));
  assert.match(await dig('198.18.1.2'), /status: NXDOMAIN/);

  const curl = async (from: string) => (await inNs('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', '--interface', from,
    '--resolve', `${host}:${PORT}:198.18.0.1`, `http://${host}:${PORT}/hello`])).stdout;
  assert.equal(await curl('198.18.0.2'), '200');
  assert.equal(await curl('198.18.1.2'), '403');
});
