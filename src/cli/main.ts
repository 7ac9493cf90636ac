// The `trellis` command.
import { parseArgs } from 'node:util';
import { writeFileSync, renameSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { reusePortSupported } from '../dataplane/dataplane.ts';
import { startTrellis } from '../server/trellis.ts';
import { parseQuotas } from '../api/lattice/quotas.ts';
import { startDemo, type Demo } from '../server/demo.ts';
import { parseUpstream } from '../dns/forward.ts';
import { accountsCommand } from './accounts.ts';
import { caCommand } from './ca.ts';
import { topCommand } from './top.ts';
import { logsCommand } from './logs.ts';
import { parseFirehoseEndpoints } from '../observe/destinations/firehose.ts';
import { parseS3Endpoint } from '../observe/destinations/s3.ts';
import { policyCommand } from './policy.ts';
import { curlCommand } from './curl.ts';
import { signProxyCommand } from './signproxy.ts';

const COMMANDS: Record<string, string> = {
  up: 'start Trellis: API, DNS and data plane on loopback, state in --data-dir',
  'accounts create': 'add an account and a root access key (administrator only)',
  ca: 'print the local CA certificate, so clients can trust HTTPS listeners',
  top: 'a live view of services: requests/s, errors, p50/p99 latency, target health',
  'logs tail': "print a log group's access log records (-n N, --follow)",
  'policy simulate': 'would a request be allowed? each level\'s decision and the deciding statements',
  curl: 'send a request signed with SigV4 for vpc-lattice-svcs, curl-style',
  'sign-proxy': 'an HTTP proxy that signs plain requests with SigV4 for vpc-lattice-svcs',
  help: 'show this help',
};

const UP_HELP = `Usage: trellis up [options]

  --data-dir DIR       where state lives (default ./.trellis)
  --api-port N         API port (default 8470; 0 picks a free port)
  --dns-port N         DNS port, UDP and TCP (default 8453)
  --port-offset N      added to every listener port (default 0)
  --region NAME        Region of every ARN and signature (default us-east-1)
  --ready-file FILE    once everything listens, write the endpoints there as JSON
  --quota NAME=VALUE   change a default Lattice quota (repeatable)
  --fsync              fsync every commit (survives power loss, not only crashes)
  --deregistration-delay SECONDS
                       how long deregistered targets drain (default 300, as Lattice)
  --dns-upstream ADDR[:PORT]
                       resolver for names outside Trellis's zones (repeatable; default: REFUSED)
  --no-dns-custom-domains
                       do not answer services' custom domain names (Lattice needs your own CNAME)
  --firehose-endpoint NAME=URL
                       POST access log records for Firehose delivery stream NAME to URL (repeatable)
  --s3-endpoint URL    PUT S3 access log objects to this S3-compatible endpoint (MinIO, Ceph, Garage;
                       path-style, credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
                       [/AWS_SESSION_TOKEN]) instead of <data-dir>/s3/
  --s3-region NAME     region the S3 endpoint's signatures use (default us-east-1)
  --workers N          data-plane processes (default: one per core on Linux, ${defaultWorkers()} here). With
                       N >= 2, N worker processes serve every listener port together (SO_REUSEPORT:
                       the kernel spreads new connections) from the same Snapshot; this process keeps
                       the API, store, compiler, health checks and DNS. Each worker writes its own
                       access log files (<als-id>.w<k>.<n>.log). 1: everything in one process
  --demo               create a small example (two services, echo targets, a weighted rule)

Bootstrap credentials: TRELLIS_ACCESS_KEY_ID, TRELLIS_SECRET_ACCESS_KEY, TRELLIS_ACCOUNT_ID;
without them a key pair is generated once into <data-dir>/credentials (profile "trellis").`;

/** A sanity bound on --workers: more processes than this is a typo, not a plan. */
const MAX_WORKERS = 1024;

/** One data-plane process per core where processes can share a port (SO_REUSEPORT); else one. */
function defaultWorkers(): number {
  return reusePortSupported() ? availableParallelism() : 1;
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `Trellis: a self-hosted Amazon VPC Lattice.\n\nUsage: trellis <command> [options]\n\n${Object.entries(COMMANDS)
    .map(([c, d]) => `  ${c.padEnd(width)}  ${d}`).join('\n')}\n\nRun 'trellis <command> --help' for a command's options.`;
}

async function up(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string', default: './.trellis' },
      'api-port': { type: 'string', default: '8470' },
      'dns-port': { type: 'string', default: '8453' },
      'port-offset': { type: 'string', default: '0' },
      region: { type: 'string', default: 'us-east-1' },
      'ready-file': { type: 'string' },
      quota: { type: 'string', multiple: true, default: [] },
      fsync: { type: 'boolean', default: false },
      'deregistration-delay': { type: 'string', default: '300' },
      demo: { type: 'boolean', default: false },
      'dns-upstream': { type: 'string', multiple: true, default: [] },
      'firehose-endpoint': { type: 'string', multiple: true, default: [] },
      's3-endpoint': { type: 'string' },
      's3-region': { type: 'string' },
      'no-dns-custom-domains': { type: 'boolean', default: false },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return void console.log(UP_HELP);
  const port = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} needs a port number 0-65535, got "${v}"`);
    return n;
  };
  const seconds = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 3600) throw new Error(`--${name} needs whole seconds 0-3600, got "${v}"`);
    return n;
  };
  const workers = values.workers === undefined ? defaultWorkers() : Number(values.workers);
  if (values.workers !== undefined && (!/^\d+$/.test(values.workers.trim()) || workers < 1 || workers > MAX_WORKERS)) {
    throw new Error(`--workers needs a whole number of processes 1-${MAX_WORKERS}, got "${values.workers}"`);
  }
  if (values['s3-region'] !== undefined && values['s3-endpoint'] === undefined) throw new Error('--s3-region needs --s3-endpoint');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(values.region)) throw new Error(`--region must look like us-east-1, got "${values.region}"`);
  const t = await startTrellis({
    dataDir: values['data-dir'],
    apiPort: port('api-port', values['api-port']),
    dnsPort: port('dns-port', values['dns-port']),
    portOffset: port('port-offset', values['port-offset']),
    region: values.region,
    quotas: parseQuotas(values.quota),
    synchronous: values.fsync ? 'full' : 'normal',
    deregistrationDelaySeconds: seconds('deregistration-delay', values['deregistration-delay']),
    dnsUpstreams: values['dns-upstream'].flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean).map((v) => (parseUpstream(v), v)),
    dnsCustomDomains: !values['no-dns-custom-domains'],
    firehoseEndpoints: parseFirehoseEndpoints(values['firehose-endpoint']),
    s3Endpoint: values['s3-endpoint'] === undefined ? undefined : parseS3Endpoint(values['s3-endpoint'], { region: values['s3-region'] }),
    workers,
    log: (line) => console.error(line),
  });
  const ready = {
    api: t.api, dns: t.dns, region: t.region, accountId: t.accountId, defaultVpcId: t.defaultVpcId,
    dataPlaneAddress: t.dataPlaneAddress, portOffset: t.portOffset, credentialsFile: t.credentialsFile,
  };
  console.log(`Trellis is up.
  API          ${t.api}   (SigV4 service "vpc-lattice", region ${t.region})
  DNS          ${t.dns}
  data plane   ${t.dataPlaneAddress} (listener ports + ${t.portOffset}), ${workers === 1 ? 'in this process' : `${workers} worker processes`}
  account      ${t.accountId}, default VPC ${t.defaultVpcId}
  credentials  ${t.credentialsFile} (profile "trellis")

Try: AWS_SHARED_CREDENTIALS_FILE=${t.credentialsFile} AWS_PROFILE=trellis aws vpc-lattice list-services --endpoint-url ${t.api} --region ${t.region}`);
  let demo: Demo | undefined;
  if (values.demo) {
    demo = await startDemo({ endpoint: t.api, region: t.region, accessKeyId: t.accessKeyId, secretAccessKey: t.secretAccessKey }, t.defaultVpcId, t.portOffset);
    console.log(`\nDemo: service network "demo" with two services and built-in echo targets. Try:\n${demo.lines.join('\n')}\n(greeter splits 80/20 between greeter-v1 and greeter-v2; inventory routes /items and answers 404 otherwise)`);
  }
  if (values['ready-file']) {
    const tmp = values['ready-file'] + '.tmp';
    writeFileSync(tmp, JSON.stringify(ready) + '\n');
    renameSync(tmp, values['ready-file']);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`Trellis: ${signal}, stopping.`);
    Promise.resolve(demo?.close()).then(() => t.stop()).then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': return up(rest);
    case 'accounts': return accountsCommand(rest);
    case 'ca': return caCommand(rest);
    case 'top': return topCommand(rest);
    case 'logs': return logsCommand(rest);
    case 'policy': return policyCommand(rest);
    case 'curl': return curlCommand(rest);
    case 'sign-proxy': return signProxyCommand(rest);
    case undefined: case 'help': case '--help': case '-h':
      return void console.log(help());
    default:
      console.error(`trellis: unknown command "${command}"\n\n${help()}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`trellis: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
