// `trellis up` as a user runs it: a real process, the ready file, the credentials file read by the
// SDK's own default provider chain, SIGTERM, and an acknowledged write surviving kill -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { VPCLatticeClient, CreateServiceNetworkCommand, GetServiceNetworkCommand, ListServiceNetworksCommand } from '@aws-sdk/client-vpc-lattice';
import { freePort, request } from '../helpers/echo.ts';

const BIN = fileURLToPath(new URL('../../bin/trellis', import.meta.url));

interface Ready { api: string; dns: string; region: string; accountId: string; defaultVpcId: string; dataPlaneAddress: string; portOffset: number; credentialsFile: string }

async function up(dataDir: string, env: Record<string, string> = {}, extra: string[] = []): Promise<{ proc: ChildProcess; ready: Ready; output: () => string }> {
  const readyFile = join(dataDir, `ready-${Date.now()}.json`);
  const proc = spawn(BIN, ['up', '--data-dir', dataDir, '--api-port', '0', '--dns-port', '0', '--ready-file', readyFile, ...extra], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  for (let i = 0; i < 200 && !existsSync(readyFile); i++) {
    if (proc.exitCode !== null) break;
    await sleep(50);
  }
  assert.ok(existsSync(readyFile), `trellis up did not get ready: ${out}`);
  return { proc, ready: JSON.parse(readFileSync(readyFile, 'utf8')) as Ready, output: () => out };
}

const exited = (p: ChildProcess) => new Promise<number | null>((r) => (p.exitCode !== null ? r(p.exitCode) : p.once('exit', (code) => r(code))));

test('trellis --help lists the commands, one line each', () => {
  const out = execFileSync(BIN, ['--help'], { encoding: 'utf8' });
  assert.match(out, /^\s+up\s+start Trellis/m);
  assert.match(out, /^\s+accounts create\s+add an account/m);
  assert.match(execFileSync(BIN, ['up', '--help'], { encoding: 'utf8' }), /--ready-file FILE/);
});

test('up: ready file, generated credentials the SDK reads, SIGTERM, and a write that survives kill -9', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trellis-cli-'));
  const first = await up(dataDir, { TRELLIS_ACCESS_KEY_ID: '', TRELLIS_SECRET_ACCESS_KEY: '' });
  const r = first.ready;
  assert.match(r.api, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(r.dns, /^127\.0\.0\.1:\d+$/);
  assert.equal(r.region, 'us-east-1');
  assert.equal(r.accountId, '111122223333');
  assert.match(r.defaultVpcId, /^vpc-[0-9a-f]{17}$/);
  assert.equal(r.dataPlaneAddress, '127.0.0.1');
  assert.equal(r.portOffset, 0);
  assert.equal(r.credentialsFile, join(dataDir, 'credentials'));
  assert.match(readFileSync(r.credentialsFile, 'utf8'), /^\[trellis\]\naws_access_key_id = AKIA[A-Z2-7]{16}\naws_secret_access_key = \S{40}\n$/);

  // The SDK's default credential chain, pointed at the file as the README says.
  process.env.AWS_SHARED_CREDENTIALS_FILE = r.credentialsFile;
  process.env.AWS_PROFILE = 'trellis';
  const client = new VPCLatticeClient({ endpoint: r.api, region: r.region });
  const sn = await client.send(new CreateServiceNetworkCommand({ name: 'survives-kill' }));
  first.proc.kill('SIGKILL');
  await exited(first.proc);

  const second = await up(dataDir, { TRELLIS_ACCESS_KEY_ID: '', TRELLIS_SECRET_ACCESS_KEY: '' });
  const client2 = new VPCLatticeClient({ endpoint: second.ready.api, region: r.region });
  const got = await client2.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: sn.id }));
  assert.equal(got.name, 'survives-kill');
  assert.equal(second.ready.defaultVpcId, r.defaultVpcId, 'the default VPC is created once');
  second.proc.kill('SIGTERM');
  assert.equal(await exited(second.proc), 0);
  assert.match(second.output(), /SIGTERM, stopping/);
  client.destroy();
  client2.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

test('up: bootstrap credentials and account from TRELLIS_* variables; bad flags fail clearly', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trellis-cli-'));
  const t = await up(dataDir, { TRELLIS_ACCESS_KEY_ID: 'AKIAENVADMIN00000001', TRELLIS_SECRET_ACCESS_KEY: 'env-secret', TRELLIS_ACCOUNT_ID: '444455556666' });
  assert.equal(t.ready.accountId, '444455556666');
  const client = new VPCLatticeClient({ endpoint: t.ready.api, region: 'us-east-1', credentials: { accessKeyId: 'AKIAENVADMIN00000001', secretAccessKey: 'env-secret' } });
  const sn = await client.send(new CreateServiceNetworkCommand({ name: 'from-env' }));
  assert.match(sn.arn!, /:444455556666:servicenetwork\//);
  assert.ok((await client.send(new ListServiceNetworksCommand({}))).items!.length >= 1);
  t.proc.kill('SIGTERM');
  assert.equal(await exited(t.proc), 0);
  client.destroy();

  const bad = spawn(BIN, ['up', '--data-dir', dataDir, '--api-port', 'eighty'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  bad.stderr!.on('data', (d) => (err += d));
  assert.equal(await exited(bad), 1);
  assert.match(err, /--api-port needs a port number/);
  rmSync(dataDir, { recursive: true, force: true });
});

test('up --demo: two services with echo targets answer through the data plane, as the printed curl lines say', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'trellis-cli-'));
  const offset = (await freePort()) - 8080;
  const t = await up(dataDir, {}, ['--demo', '--port-offset', String(offset)]);
  const lines = t.output().split('\n').filter((l) => l.includes('curl -H'));
  assert.equal(lines.length, 2, t.output());
  const [, greeterHost, greeterPort] = /Host: ([^']+)' http:\/\/127\.0\.0\.1:(\d+)\//.exec(lines[0])!;
  assert.equal(Number(greeterPort), 8080 + offset);
  const seen = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const r = await request(Number(greeterPort), greeterHost);
    assert.equal(r.status, 200);
    seen.add((JSON.parse(r.body) as { target: string }).target);
  }
  assert.ok(seen.has('greeter-v1') && seen.has('greeter-v2'), [...seen].join());
  const [, invHost, invPort] = /Host: ([^']+)' http:\/\/127\.0\.0\.1:(\d+)\/items/.exec(lines[1])!;
  assert.equal((JSON.parse((await request(Number(invPort), invHost, { path: '/items/7' })).body) as { target: string }).target, 'inventory');
  assert.equal((await request(Number(invPort), invHost, { path: '/other' })).status, 404);
  t.proc.kill('SIGTERM');
  assert.equal(await exited(t.proc), 0);
  rmSync(dataDir, { recursive: true, force: true });
});
