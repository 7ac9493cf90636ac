// `trellis policy simulate`: would a request be allowed, and which statements decide? With
// --service it asks a running Trellis (POST /_trellis/policy/simulate, the stored policies as the
// data plane compiled them); with policy files it evaluates here, with the same engine.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { call } from '../core/client.ts';
import { ApiError } from '../core/errors.ts';
import { parsePolicy, type Policy } from '../iam/policy/parse.ts';
import {
  filePlans, parseIdentityPolicies, resolvePrincipal, simulate,
  type LevelReport, type SimPrincipal, type SimRequest, type SimulateInput, type SimulateReport,
} from '../api/simulate.ts';
import { readCredentials } from './accounts.ts';

const HELP = `Usage: trellis policy simulate [options]

Simulates one request through the data plane's authorization and prints the decision of each level
(service network, service, identity) and overall: ALLOW, DENY_EXPLICIT or DENY_IMPLICIT, with the
statements that decided.

Stored resources (asks a running Trellis; signed like 'trellis accounts create'):
  --service ID|ARN             a service of your account
  --service-network ID|ARN     the network the request comes through (default: the only one)
  --source-vpc VPC_ID          the client's VPC (picks its network; also vpc-lattice-svcs:SourceVpc)
  --endpoint URL               the Trellis API (default http://127.0.0.1:8470)
  --data-dir DIR               credentials: <DIR>/credentials (default ./.trellis), or TRELLIS_* env
  --region NAME                default us-east-1
Policy files (evaluated locally):
  --service-policy FILE        the service's auth policy
  --service-auth-type T        AWS_IAM or NONE (default AWS_IAM with a policy, else NONE)
  --network-policy FILE        the service network's auth policy
  --network-auth-type T        AWS_IAM or NONE (default AWS_IAM with a policy, else NONE)
  --service-arn ARN            the service's ARN (default a placeholder)
  --service-network-arn ARN    the service network's ARN (default a placeholder)
Either way:
  --identity-policy FILE       an identity-based policy (repeatable; replaces stored ones)
Principal (one of):
  --principal-arn ARN          root, IAM user, role or assumed-role session ARN
  --anonymous                  an unsigned request
  --principal-type TYPE        Root|User|AssumedRole|... (default from the ARN)
  --org-id ID                  aws:PrincipalOrgID
  --principal-tag K=V          aws:PrincipalTag/K (repeatable)
Request:
  --method M                   default GET
  --path PATH                  default /; normalized as the data plane does
  --header 'K: V'              a request header (repeatable)
  --query 'a=1&b=2'            the query string
  --port N                     the listener port (default: the service's listener, else 80)
  --context KEY=VALUE          any condition key the data plane sets (repeatable)
Output:
  --output text|json           default text`;

const AUTH_TYPES = new Set(['AWS_IAM', 'NONE']);

function readFile(option: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`--${option} ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

function authPolicy(option: string, file: string): Policy {
  const r = parsePolicy(readFile(option, file), { kind: 'resource' });
  if (!r.ok) throw new Error(`--${option} ${file}: ${r.error}`);
  return r.policy;
}

function authType(option: string, v: string | undefined, policy: Policy | undefined): 'AWS_IAM' | 'NONE' {
  if (v === undefined) return policy ? 'AWS_IAM' : 'NONE';
  const t = v.toUpperCase();
  if (!AUTH_TYPES.has(t)) throw new Error(`--${option} must be AWS_IAM or NONE, got "${v}"`);
  return t as 'AWS_IAM' | 'NONE';
}

/** "k=v" pairs; a key given twice becomes a list (a multivalued condition key). */
function pairs(option: string, list: string[], sep: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const item of list) {
    const i = item.indexOf(sep);
    if (i <= 0) throw new Error(`--${option} needs KEY${sep}VALUE, got "${item}"`);
    const k = item.slice(0, i).trim();
    const v = sep === ':' ? item.slice(i + 1).trim() : item.slice(i + 1);
    const prev = out[k];
    out[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  return out;
}

/** Runs the endpoint's checks locally: their errors become plain messages. */
function parsed<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ApiError) throw new Error(err.message);
    throw err;
  }
}

function tags(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const i = item.indexOf('=');
    if (i <= 0) throw new Error(`--principal-tag needs KEY=VALUE, got "${item}"`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

export async function policyCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { values: o } = parseArgs({
    args: rest,
    options: {
      service: { type: 'string' },
      'service-network': { type: 'string' },
      'source-vpc': { type: 'string' },
      endpoint: { type: 'string', default: 'http://127.0.0.1:8470' },
      'data-dir': { type: 'string', default: './.trellis' },
      region: { type: 'string', default: 'us-east-1' },
      'service-policy': { type: 'string' },
      'service-auth-type': { type: 'string' },
      'network-policy': { type: 'string' },
      'network-auth-type': { type: 'string' },
      'service-arn': { type: 'string' },
      'service-network-arn': { type: 'string' },
      'identity-policy': { type: 'string', multiple: true, default: [] },
      'principal-arn': { type: 'string' },
      anonymous: { type: 'boolean', default: false },
      'principal-type': { type: 'string' },
      'org-id': { type: 'string' },
      'principal-tag': { type: 'string', multiple: true, default: [] },
      method: { type: 'string' },
      path: { type: 'string' },
      header: { type: 'string', multiple: true, default: [] },
      query: { type: 'string' },
      port: { type: 'string' },
      context: { type: 'string', multiple: true, default: [] },
      output: { type: 'string', default: 'text' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (sub !== 'simulate' || o.help) {
    console.log(HELP);
    if (sub !== 'simulate' && !o.help && sub !== '--help' && sub !== '-h') process.exitCode = 2;
    return;
  }
  if (o.output !== 'text' && o.output !== 'json') throw new Error(`--output must be text or json, got "${o.output}"`);
  if (o.anonymous === (o['principal-arn'] !== undefined)) throw new Error('give the principal: --principal-arn ARN or --anonymous');
  let port: number | undefined;
  if (o.port !== undefined) {
    port = Number(o.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port needs a port number 1-65535, got "${o.port}"`);
  }
  const principal: SimPrincipal = o.anonymous ? { anonymous: true } : {
    arn: o['principal-arn'], type: o['principal-type'], orgId: o['org-id'],
    ...(o['principal-tag'].length ? { tags: tags(o['principal-tag']) } : {}),
  };
  if (o.anonymous && (o['principal-type'] || o['org-id'] || o['principal-tag'].length || o['identity-policy'].length)) {
    throw new Error('an anonymous caller has no type, organization, tags or identity-based policies');
  }
  const request: SimRequest = {
    method: o.method, path: o.path, query: o.query, port,
    headers: pairs('header', o.header, ':'), context: pairs('context', o.context, '='),
  };
  const identityDocs = o['identity-policy'].map((f) => ({ label: basename(f), document: readFile('identity-policy', f) }));
  // Parsed here too, so a malformed file is named before anything is sent.
  const given = parsed(() => (identityDocs.length ? parseIdentityPolicies(identityDocs) : undefined));

  let report: SimulateReport;
  const fileMode = o['service-policy'] !== undefined || o['network-policy'] !== undefined || o['service-auth-type'] !== undefined || o['network-auth-type'] !== undefined;
  if (o.service !== undefined) {
    if (fileMode || o['service-arn'] || o['service-network-arn']) throw new Error('--service reads the stored policies; leave out --service-policy, --network-policy, their auth types and ARNs');
    const body: SimulateInput = {
      service: o.service, serviceNetwork: o['service-network'], sourceVpc: o['source-vpc'], principal, request,
      ...(identityDocs.length ? { identityPolicies: identityDocs } : {}),
    };
    const creds = process.env.TRELLIS_ACCESS_KEY_ID && process.env.TRELLIS_SECRET_ACCESS_KEY
      ? { accessKeyId: process.env.TRELLIS_ACCESS_KEY_ID, secretAccessKey: process.env.TRELLIS_SECRET_ACCESS_KEY }
      : readCredentials(join(o['data-dir'], 'credentials'));
    report = await call<SimulateReport>({ endpoint: o.endpoint, region: o.region, ...creds }, 'POST', '/_trellis/policy/simulate', body);
  } else {
    if (o['service-network'] !== undefined) throw new Error('--service-network names a stored network: give --service too, or the policies as files');
    if (!fileMode && !given) throw new Error('give --service ID|ARN (stored policies), or the policies as files (--service-policy, --network-policy)');
    const servicePolicy = o['service-policy'] !== undefined ? authPolicy('service-policy', o['service-policy']) : undefined;
    const networkPolicy = o['network-policy'] !== undefined ? authPolicy('network-policy', o['network-policy']) : undefined;
    const target = filePlans({
      region: o.region, serviceArn: o['service-arn'], serviceNetworkArn: o['service-network-arn'], sourceVpc: o['source-vpc'], port,
      service: { authType: authType('service-auth-type', o['service-auth-type'], servicePolicy), policy: servicePolicy },
      network: { authType: authType('network-auth-type', o['network-auth-type'], networkPolicy), policy: networkPolicy },
    });
    report = parsed(() => {
      const caller = resolvePrincipal(principal, {}, target.notes);
      return simulate(target, caller.kind === 'signed' && given ? { ...caller, identity: given } : caller, request);
    });
  }
  console.log(o.output === 'json' ? JSON.stringify(report, null, 2) : renderText(report));
}

const LABEL: Record<string, string> = { network: 'service network', service: 'service', identity: 'identity' };

function levelLines(l: LevelReport): string[] {
  const what = l.arn ? `${l.arn} (${l.authType})` : l.level === 'identity' ? 'identity-based policies' : '';
  if (!l.evaluated) return [`${l.level.padEnd(9)} -              ${what}`, ...(l.note ? [`          ${l.note}`] : [])];
  const lines = [`${l.level.padEnd(9)} ${l.decision!.padEnd(14)} ${what}`];
  for (const s of l.statements) {
    const verb = s.effect === 'Deny' ? 'denied by' : 'allowed by';
    lines.push(`          ${verb} ${s.policy} statement ${s.statement}${s.sid ? ` (Sid "${s.sid}")` : ''}, ${s.effect}`);
  }
  if (l.note) lines.push(`          ${l.note}`);
  return lines;
}

/** The report as lines a person reads. */
export function renderText(r: SimulateReport): string {
  const p = r.principal;
  const who = p.anonymous ? 'anonymous (unsigned request)'
    : `${p.arn ?? '?'} (${p.type}${p.account ? `, account ${p.account}` : ''}${p.orgId ? `, org ${p.orgId}` : ''})`;
  const q = r.request;
  const lines = [
    `Principal  ${who}`,
    ...(!p.anonymous && p.tags ? [`           tags ${Object.entries(p.tags).map(([k, v]) => `${k}=${v}`).join(', ')}`] : []),
    `Request    ${q.method} ${q.path}${q.query ? `?${q.query}` : ''} on port ${q.port}${q.secure ? ' (TLS)' : ''} from ${q.sourceVpc} (${q.sourceIp})`,
    `           vpc-lattice-svcs:Invoke on ${q.resource}`,
    '',
    ...r.levels.flatMap(levelLines),
    '',
    `Decision   ${r.decision}${r.deniedBy ? `: denied by the ${LABEL[r.deniedBy]}${r.deniedBy === 'identity' ? '-based policies' : "'s auth policy"}` : ''}`,
    ...r.notes.map((n) => `Note       ${n}`),
  ];
  return lines.join('\n');
}
