// Policy simulation: "would this request be allowed, and which statements decide?" It runs the data
// plane's own authorization (dataplane/authz.ts `authorize`, hence iam/policy's authorizeLattice) on
// a described request, against either stored resources (POST /_trellis/policy/simulate, the plans
// compiled exactly as the data plane compiles them) or policies given as files (the CLI, locally).
// The path goes through the data plane's normalizeTarget, so the resource is the one it would see.
import { authorize, ANONYMOUS, type AuthzInput, type Caller } from '../dataplane/authz.ts';
import { normalizeTarget } from '../dataplane/path.ts';
import { compile } from '../compile/compile.ts';
import type { NetworkPlan, ServicePlan, VpcPlan } from '../compile/snapshot.ts';
import { parseCidr, type Net } from '../core/cidr.ts';
import { idOf, parseArn } from '../core/ids.ts';
import { notFound, validation } from '../core/errors.ts';
import { principalOf } from '../iam/principals.ts';
import { parsePolicy, type Policy } from '../iam/policy/parse.ts';
import type { Decision, LabeledPolicy, Matched, Principal, Result } from '../iam/policy/evaluate.ts';
import {
  IAM_ROLE, IAM_USER, parseRoleArn, parseUserArn, roleKey, sessionArn, userKey,
  type AccessKeyRecord, type IamRoleRecord, type IamUserRecord, type RecordReader,
} from '../iam/identities.ts';
import type { Records } from '../compile/compile.ts';

/** The principal to simulate: anonymous, or an ARN with optional overrides. */
export interface SimPrincipal { anonymous?: boolean; arn?: string; type?: string; orgId?: string; tags?: Record<string, string> }

export interface SimRequest {
  method?: string;
  /** As a client would send it; may carry a query after '?'. */
  path?: string;
  query?: string;
  /** Header names compare case-insensitively; repeated values join with ", " as Node does. */
  headers?: Record<string, string | string[]>;
  port?: number;
  /** Condition keys, each set through the same input the data plane would take it from. */
  context?: Record<string, string | string[]>;
}

/** The body of POST /_trellis/policy/simulate. */
export interface SimulateInput {
  service: string;
  serviceNetwork?: string;
  sourceVpc?: string;
  /** Replace the principal's stored identity-based policies. */
  identityPolicies?: { label?: string; document: string }[];
  principal: SimPrincipal;
  request?: SimRequest;
}

export type LevelName = 'network' | 'service' | 'identity';

export interface StatementRef { policy: string; statement: number; sid?: string; effect: 'Allow' | 'Deny' }

export interface LevelReport {
  level: LevelName;
  /** The service network's or service's ARN. */
  arn?: string;
  authType?: 'NONE' | 'AWS_IAM';
  evaluated: boolean;
  decision?: Decision;
  /** The statements that decided: the matching Denies, else the matching Allows. */
  statements: StatementRef[];
  /** Every matching statement. */
  matched?: { allows: StatementRef[]; denies: StatementRef[] };
  note?: string;
}

export interface SimulateReport {
  decision: Decision;
  deniedBy?: LevelName;
  principal: { anonymous: true } | { anonymous: false; type: string; arn?: string; principalArn?: string; account?: string; orgId?: string; tags?: Record<string, string> };
  request: { action: string; resource: string; method: string; path: string; query: string; port: number; secure: boolean; sourceVpc: string; sourceIp: string; serviceArn: string; serviceNetworkArn: string };
  levels: LevelReport[];
  notes: string[];
}

/** What a simulation runs against: the plans plus what the stored listener says. */
export interface Target {
  service: ServicePlan;
  network: NetworkPlan;
  vpc: VpcPlan;
  port: number;
  secure: boolean;
  /** Plans read from the store can't be overridden through context keys; file plans can. */
  stored: boolean;
  /** Levels whose statements the caller may not see (another account's policy). */
  redact: ReadonlySet<LevelName>;
  notes: string[];
}

const EMPTY: RecordReader = { get: () => undefined };
const PLACEHOLDER_ACCOUNT = '111122223333';
const SIMULATED_SESSION = 'simulated';

/** Service, network and VPC plans for policies given as documents (the CLI's file mode). */
export function filePlans(o: {
  region?: string; serviceArn?: string; serviceNetworkArn?: string; sourceVpc?: string; port?: number;
  service: { authType: 'NONE' | 'AWS_IAM'; policy?: Policy };
  network: { authType: 'NONE' | 'AWS_IAM'; policy?: Policy };
}): Target {
  const region = o.region ?? 'us-east-1';
  const serviceArn = o.serviceArn ?? `arn:aws:vpc-lattice:${region}:${PLACEHOLDER_ACCOUNT}:service/svc-00000000000000000`;
  const account = parseArn(serviceArn)?.account || PLACEHOLDER_ACCOUNT;
  const networkArn = o.serviceNetworkArn ?? `arn:aws:vpc-lattice:${region}:${account}:servicenetwork/sn-00000000000000000`;
  const vpcId = o.sourceVpc ?? 'vpc-00000000000000000';
  const vpc: VpcPlan = { id: vpcId, arn: `arn:aws:ec2:${region}:${account}:vpc/${vpcId}`, account, net: parseCidr('10.0.0.0/16')! };
  const network: NetworkPlan = {
    id: idOf(networkArn), arn: networkArn, authType: o.network.authType, authPolicy: o.network.policy,
    vpcAssociationId: 'snva-00000000000000000', securityGroupIds: [], securityGroups: [],
  };
  const service: ServicePlan = {
    id: idOf(serviceArn), arn: serviceArn, name: 'simulated', account, authType: o.service.authType, authPolicy: o.service.policy,
    dnsName: 'simulated.invalid', idleTimeoutSeconds: 60, tags: {}, networks: new Map([[vpcId, network]]),
  };
  return { service, network, vpc, port: o.port ?? 80, secure: false, stored: false, redact: new Set(), notes: [] };
}

/** Resolves a stored service (and its network and VPC) as the data plane's compiled plans. */
export function storedTarget(records: Records & RecordReader, revision: number, region: string, caller: AccessKeyRecord, input: SimulateInput): Target {
  const snapshot = compile(records, revision, region);
  const mine = (account: string) => caller.admin === true || account === caller.accountId;
  const id = idOf(input.service);
  let service: ServicePlan | undefined;
  for (const s of snapshot.names.values()) if (s.id === id) service = s;
  if (!service || !mine(service.account) || (input.service.startsWith('arn:') && service.arn !== input.service)) throw notFound('SERVICE', input.service);
  const notes: string[] = [];

  // The network that carries a request from the source VPC (one association per VPC).
  const wantNet = input.serviceNetwork !== undefined ? idOf(input.serviceNetwork) : undefined;
  const routes = [...service.networks].filter(([vpcId, n]) =>
    (input.sourceVpc === undefined || vpcId === input.sourceVpc) && (wantNet === undefined || n.id === wantNet)
    && (input.serviceNetwork === undefined || !input.serviceNetwork.startsWith('arn:') || n.arn === input.serviceNetwork));
  if (routes.length === 0) {
    const from = input.sourceVpc ? `VPC ${input.sourceVpc}` : 'any VPC';
    const via = input.serviceNetwork ? ` through service network ${input.serviceNetwork}` : '';
    throw validation(`Service ${service.id} is not reachable from ${from}${via}: no service network associates them, so the data plane would refuse the request before authorization.`);
  }
  const networks = new Set(routes.map(([, n]) => n.id));
  if (networks.size > 1) {
    throw validation(`Service ${service.id} is reachable through ${networks.size} service networks (${[...networks].join(', ')}); name one with serviceNetwork (--service-network) or sourceVpc (--source-vpc).`);
  }
  const [vpcId, network] = routes[0];
  if (input.sourceVpc === undefined && routes.length > 1) notes.push(`source VPC ${vpcId} chosen of ${routes.length} that reach the service; give --source-vpc for another`);
  const vpc = snapshot.vpcs.find((v) => v.id === vpcId);
  if (!vpc) throw notFound('VPC', vpcId);

  const listeners = new Map<number, string>();
  for (const p of snapshot.ports.values()) for (const l of p.hosts.values()) if (l.service.id === service.id) listeners.set(l.port, l.protocol);
  let port = input.request?.port;
  if (port === undefined) {
    const ports = [...listeners.keys()].sort((a, b) => a - b);
    port = ports[0] ?? 80;
    if (ports.length === 0) notes.push('the service has no listener: port 80 assumed');
    else if (ports.length > 1) notes.push(`listener port ${port} chosen of ${ports.join(', ')}; give --port for another`);
  } else if (!listeners.has(port)) notes.push(`the service has no listener on port ${port}`);

  const redact = new Set<LevelName>();
  const netAccount = parseArn(network.arn)?.account ?? '';
  if (!mine(netAccount)) redact.add('network');
  return { service, network, vpc, port, secure: listeners.get(port) === 'HTTPS', stored: true, redact, notes };
}

/**
 * The principal as the data plane would build it for a key of that identity (iam/principals.ts),
 * from `reader` (the store where the caller may see the identity, else nothing: then a user or
 * role has no identity policies unless given, and a root its allow-everything policy).
 */
export function resolvePrincipal(spec: SimPrincipal, opts: { reader?: RecordReader; mayRead?: (account: string) => boolean; identityGiven?: boolean }, notes: string[]): Caller {
  if (spec.anonymous) {
    if (spec.arn !== undefined) throw validation('A principal is either anonymous or has an ARN, not both.');
    return ANONYMOUS;
  }
  if (!spec.arn) throw validation('The principal needs an ARN (--principal-arn), or must be anonymous (--anonymous).');
  const arn = spec.arn;
  const key: AccessKeyRecord = { accessKeyId: '', secretAccessKey: '', accountId: '', arn, createdAt: '' };
  const root = /^arn:[^:]+:iam::(\d{12}):root$/.exec(arn);
  const session = /^arn:[^:]+:sts::(\d{12}):assumed-role\/([^/]+)\/([^/]+)$/.exec(arn);
  const user = parseUserArn(arn);
  const role = parseRoleArn(arn);
  let base: Principal | undefined;
  let identity: readonly LabeledPolicy[] | undefined;
  let sessionName: string | undefined;
  if (root || session || user || role) {
    const account = (root?.[1] ?? session?.[1] ?? user?.account ?? role?.account)!;
    const visible = opts.reader !== undefined && (opts.mayRead?.(account) ?? true);
    const view = visible ? opts.reader! : EMPTY;
    // Notes about the store only where it was asked and its policies count.
    const tell = (note: string) => { if (opts.reader && !opts.identityGiven) notes.push(note); };
    key.accountId = account;
    if (user) {
      key.userName = user.userName;
      if (visible && !view.get<IamUserRecord>(IAM_USER, userKey(account, user.userName))) tell(`no IAM user ${user.userName} in account ${account}: no identity-based policies`);
    } else if (session || role) {
      const roleName = session ? session[2] : role!.roleName;
      const stored = view.get<IamRoleRecord>(IAM_ROLE, roleKey(account, roleName));
      if (visible && !stored) tell(`no IAM role ${roleName} in account ${account}: no identity-based policies`);
      // A role itself never calls; a session of it does.
      sessionName = session ? session[3] : SIMULATED_SESSION;
      key.roleArn = stored?.arn ?? (role ? arn : `arn:aws:iam::${account}:role/${roleName}`);
      key.sessionName = sessionName;
      key.arn = sessionArn(account, roleName, sessionName);
    }
    const who = principalOf(view, key);
    base = who.principal;
    identity = who.identity;
    if (!visible && !root) tell(`identity-based policies of principals in account ${account} are not visible to you: give them with --identity-policy`);
  } else {
    if (!spec.type) throw validation(`${arn} is not an IAM or STS principal ARN: give its type (--principal-type).`);
    base = { type: spec.type, arn };
  }
  const principal: Principal = { ...base };
  // aws:PrincipalType says "Account" for the root; the engine's type is "Root".
  if (spec.type !== undefined) principal.type = spec.type === 'Account' ? 'Root' : spec.type;
  if (spec.orgId !== undefined) principal.orgId = spec.orgId;
  if (spec.tags) principal.tags = { ...(base.tags ?? {}), ...spec.tags };
  return { kind: 'signed', principal, identity: identity ?? [], ...(sessionName ? { sessionName } : {}) };
}

/** Parses identity-based policy documents; errors name the policy and the parser's location. */
export function parseIdentityPolicies(docs: { label?: string; document: string }[]): LabeledPolicy[] {
  return docs.map((d, i) => {
    const label = d.label || `identity-${i + 1}`;
    const r = parsePolicy(d.document, { kind: 'identity' });
    if (!r.ok) throw validation(`identity policy ${label}: ${r.error}`);
    return { label, policy: r.policy };
  });
}

/** Keys the data plane sets, mapped to the inputs it sets them from (dataplane/authz.ts). */
const CONTEXT_KEYS = [
  'vpc-lattice-svcs:Port', 'vpc-lattice-svcs:RequestMethod', 'vpc-lattice-svcs:RequestHeader/<name>', 'vpc-lattice-svcs:RequestQueryString/<name>',
  'vpc-lattice-svcs:ServiceArn', 'vpc-lattice-svcs:ServiceNetworkArn', 'vpc-lattice-svcs:SourceVpc', 'vpc-lattice-svcs:SourceVpcOwnerAccount',
  'aws:SecureTransport', 'aws:SourceIp', 'aws:ResourceTag/<key>', 'aws:PrincipalTag/<key>', 'aws:PrincipalOrgID', 'aws:PrincipalAccount',
  'aws:PrincipalType', 'aws:PrincipalArn', 'aws:username', 'aws:userid',
];

interface Draft {
  method: string; headers: Record<string, string>; query: URLSearchParams; port: number; secure: boolean; sourceIp: string;
  service: ServicePlan; network: NetworkPlan; vpc: VpcPlan; principal?: Principal;
}

const one = (key: string, v: string | string[]): string => {
  if (Array.isArray(v)) {
    if (v.length !== 1) throw validation(`Condition key ${key} takes one value.`);
    return v[0];
  }
  return v;
};

/** Applies one --context key through the input the data plane reads it from. */
function applyKey(d: Draft, key: string, value: string | string[], stored: boolean): void {
  const k = key.toLowerCase();
  const fixed = () => { throw validation(`Condition key ${key} comes from the stored resources; choose them instead (--service, --service-network, --source-vpc).`); };
  const slash = key.indexOf('/');
  const sub = slash < 0 ? '' : key.slice(slash + 1);
  const principal = () => {
    if (!d.principal) throw validation(`Condition key ${key} describes a signed principal; an anonymous caller has none.`);
    return d.principal;
  };
  if (k.startsWith('vpc-lattice-svcs:requestheader/') && sub) d.headers[sub.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  else if (k.startsWith('vpc-lattice-svcs:requestquerystring/') && sub) {
    d.query.delete(sub);
    for (const v of Array.isArray(value) ? value : [value]) d.query.append(sub, v);
  } else if (k.startsWith('aws:resourcetag/') && sub) d.service = { ...d.service, tags: { ...d.service.tags, [sub]: one(key, value) } };
  else if (k.startsWith('aws:principaltag/') && sub) principal().tags = { ...(principal().tags ?? {}), [sub]: one(key, value) };
  else switch (k) {
    case 'vpc-lattice-svcs:port': {
      const n = Number(one(key, value));
      if (!Number.isInteger(n) || n < 1 || n > 65535) throw validation(`Condition key ${key} must be a port number 1-65535.`);
      d.port = n;
      break;
    }
    case 'vpc-lattice-svcs:requestmethod': d.method = one(key, value); break;
    case 'aws:securetransport': {
      const v = one(key, value).toLowerCase();
      if (v !== 'true' && v !== 'false') throw validation(`Condition key ${key} must be true or false.`);
      d.secure = v === 'true';
      break;
    }
    case 'aws:sourceip': d.sourceIp = one(key, value); break;
    case 'vpc-lattice-svcs:servicearn': if (stored) fixed(); d.service = { ...d.service, arn: one(key, value) }; break;
    case 'vpc-lattice-svcs:servicenetworkarn': if (stored) fixed(); d.network = { ...d.network, arn: one(key, value) }; break;
    case 'vpc-lattice-svcs:sourcevpc': if (stored) fixed(); d.vpc = { ...d.vpc, id: one(key, value) }; break;
    case 'vpc-lattice-svcs:sourcevpcowneraccount': if (stored) fixed(); d.vpc = { ...d.vpc, account: one(key, value) }; break;
    case 'aws:principalorgid': principal().orgId = one(key, value); break;
    case 'aws:principalaccount': principal().account = one(key, value); break;
    case 'aws:principaltype': { const t = one(key, value); principal().type = t === 'Account' ? 'Root' : t; break; }
    case 'aws:principalarn': principal().principalArn = one(key, value); break;
    case 'aws:username': principal().username = one(key, value); break;
    case 'aws:userid': principal().userId = one(key, value); break;
    case 'aws:currenttime': case 'aws:epochtime':
      throw validation(`Condition key ${key} is the clock's when the request arrives; the simulation uses the clock too.`);
    default:
      throw validation(`The data plane never sets condition key ${key}, so no request can carry it. Keys it sets: ${CONTEXT_KEYS.join(', ')}.`);
  }
}

/** The first host address of an IPv4 block (VPC blocks are IPv4). */
function firstHost(net: Net): string {
  const a = net.addr + (net.len < 32 ? 1n : 0n);
  return [24n, 16n, 8n, 0n].map((s) => String((a >> s) & 255n)).join('.');
}

const refOf = (m: Matched): StatementRef => ({ policy: m.policy, statement: m.statement, ...(m.sid !== undefined ? { sid: m.sid } : {}), effect: m.effect });

function levelReport(level: LevelName, r: Result | undefined, redacted: boolean, extra: Partial<LevelReport>, notEvaluated: string, noMatch: string): LevelReport {
  if (!r) return { level, ...extra, evaluated: false, statements: [], note: notEvaluated };
  if (redacted) return { level, ...extra, evaluated: true, decision: r.decision, statements: [], note: "another account's policy: its statements are not shown" };
  const statements = (r.denies.length ? r.denies : r.allows).map(refOf);
  return {
    level, ...extra, evaluated: true, decision: r.decision, statements,
    matched: { allows: r.allows.map(refOf), denies: r.denies.map(refOf) },
    ...(r.decision === 'DENY_IMPLICIT' ? { note: noMatch } : {}),
  };
}

/** Runs the data plane's authorization on the described request and reports every level. */
export function simulate(target: Target, caller: Caller, request: SimRequest = {}): SimulateReport {
  const raw = request.path ?? '/';
  const extraQuery = request.query ?? '';
  const joined = extraQuery ? `${raw}${raw.includes('?') ? '&' : '?'}${extraQuery.replace(/^\?/, '')}` : raw;
  const norm = normalizeTarget(joined);
  if (!norm.ok) throw validation(`path ${JSON.stringify(raw)}: ${norm.reason} (the data plane would answer 400).`);

  const principal = caller.kind === 'signed' ? { ...caller.principal } : undefined;
  const d: Draft = {
    method: (request.method ?? 'GET').toUpperCase(), headers: {}, query: new URLSearchParams(norm.query), port: target.port,
    secure: target.secure, sourceIp: firstHost(target.vpc.net), service: target.service, network: target.network, vpc: target.vpc, principal,
  };
  if (target.stored) d.headers.host = target.service.dnsName;
  for (const [name, v] of Object.entries(request.headers ?? {})) d.headers[name.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  for (const [key, value] of Object.entries(request.context ?? {})) applyKey(d, key, value, target.stored);
  // Keep the network plan the service reaches through in step with an overridden ARN or VPC.
  if (!target.stored) d.service = { ...d.service, networks: new Map([[d.vpc.id, d.network]]) };

  const who: Caller = caller.kind === 'signed' ? { ...caller, principal: d.principal! } : caller;
  const query = d.query.toString();
  const input: AuthzInput = {
    caller: who, service: d.service, network: d.network, vpc: d.vpc, listenerPort: d.port, method: d.method,
    path: norm.path, query, headers: d.headers, secure: d.secure, sourceIp: d.sourceIp,
  };
  const out = authorize(input);

  const anyIam = d.service.authType === 'AWS_IAM' || d.network.authType === 'AWS_IAM';
  const idNote = !anyIam ? 'neither level uses AWS_IAM' : who.kind === 'anonymous' ? 'anonymous caller: identity-based policies do not apply' : '';
  const levels: LevelReport[] = [
    levelReport('network', out.network, target.redact.has('network'), { arn: d.network.arn, authType: d.network.authType },
      'auth type NONE: not evaluated', d.network.authPolicy ? 'no statement applies' : 'no auth policy: every request is denied'),
    levelReport('service', out.service, target.redact.has('service'), { arn: d.service.arn, authType: d.service.authType },
      'auth type NONE: not evaluated', d.service.authPolicy ? 'no statement applies' : 'no auth policy: every request is denied'),
    levelReport('identity', out.identity, false, {}, idNote,
      who.kind === 'signed' && who.identity.length === 0 ? 'no identity-based policies' : 'no statement applies'),
  ];
  const notes = [...target.notes];
  if (!anyIam) notes.push('neither the service network nor the service uses AWS_IAM: every request is allowed');
  const p = d.principal;
  return {
    decision: out.decision,
    ...(out.deniedBy ? { deniedBy: out.deniedBy } : {}),
    principal: p ? {
      anonymous: false, type: p.type,
      ...(p.arn ? { arn: p.arn } : {}), ...(p.principalArn ? { principalArn: p.principalArn } : {}), ...(p.account ? { account: p.account } : {}),
      ...(p.orgId ? { orgId: p.orgId } : {}), ...(p.tags && Object.keys(p.tags).length ? { tags: { ...p.tags } } : {}),
    } : { anonymous: true },
    request: {
      action: 'vpc-lattice-svcs:Invoke', resource: `${d.service.arn}${norm.path}`, method: d.method, path: norm.path, query, port: d.port,
      secure: d.secure, sourceVpc: d.vpc.id, sourceIp: d.sourceIp, serviceArn: d.service.arn, serviceNetworkArn: d.network.arn,
    },
    levels,
    notes,
  };
}

// ---- the HTTP endpoint -------------------------------------------------------------------------

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, name: string): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw validation(`${name} must be a string.`);
  return v;
};
function strMap(v: unknown, name: string, multi: boolean): Record<string, string | string[]> | undefined {
  if (v === undefined) return undefined;
  if (!isRecord(v)) throw validation(`${name} must be an object.`);
  const out: Record<string, string | string[]> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string') out[k] = x;
    else if (multi && Array.isArray(x) && x.every((e) => typeof e === 'string')) out[k] = x as string[];
    else throw validation(`${name}.${k} must be a string${multi ? ' or a list of strings' : ''}.`);
  }
  return out;
}

/** Checks the endpoint's JSON body. */
export function readInput(body: unknown): SimulateInput {
  if (!isRecord(body)) throw validation('The request body must be a JSON object.');
  const service = str(body.service, 'service');
  if (!service) throw validation('service (a service ID or ARN) is required.');
  const p = body.principal;
  if (!isRecord(p)) throw validation('principal is required: {"anonymous": true} or {"arn": "..."}.');
  if (p.anonymous !== undefined && typeof p.anonymous !== 'boolean') throw validation('principal.anonymous must be a boolean.');
  const principal: SimPrincipal = {
    anonymous: p.anonymous as boolean | undefined, arn: str(p.arn, 'principal.arn'), type: str(p.type, 'principal.type'),
    orgId: str(p.orgId, 'principal.orgId'), tags: strMap(p.tags, 'principal.tags', false) as Record<string, string> | undefined,
  };
  let identityPolicies: SimulateInput['identityPolicies'];
  if (body.identityPolicies !== undefined) {
    if (!Array.isArray(body.identityPolicies)) throw validation('identityPolicies must be a list.');
    identityPolicies = body.identityPolicies.map((x: unknown, i) => {
      if (!isRecord(x)) throw validation(`identityPolicies[${i}] must be an object.`);
      const document = typeof x.document === 'string' ? x.document : isRecord(x.document) ? JSON.stringify(x.document) : undefined;
      if (document === undefined) throw validation(`identityPolicies[${i}].document must be a policy document.`);
      return { label: str(x.label, `identityPolicies[${i}].label`), document };
    });
  }
  if (identityPolicies && principal.anonymous) throw validation('An anonymous caller has no identity-based policies.');
  let request: SimRequest | undefined;
  if (body.request !== undefined) {
    const r = body.request;
    if (!isRecord(r)) throw validation('request must be an object.');
    if (r.port !== undefined && (typeof r.port !== 'number' || !Number.isInteger(r.port) || r.port < 1 || r.port > 65535)) throw validation('request.port must be a port number 1-65535.');
    request = {
      method: str(r.method, 'request.method'), path: str(r.path, 'request.path'), query: str(r.query, 'request.query'),
      headers: strMap(r.headers, 'request.headers', true), port: r.port as number | undefined, context: strMap(r.context, 'request.context', true),
    };
  }
  return {
    service, serviceNetwork: str(body.serviceNetwork, 'serviceNetwork'), sourceVpc: str(body.sourceVpc, 'sourceVpc'),
    identityPolicies, principal, request,
  };
}

/**
 * POST /_trellis/policy/simulate: any authenticated caller, for its own account's services (the
 * administrator: any). Identity-based policies of principals in other accounts stay hidden.
 */
export function simulateStored(records: Records & RecordReader, revision: number, region: string, caller: AccessKeyRecord, body: unknown): SimulateReport {
  const input = readInput(body);
  const target = storedTarget(records, revision, region, caller, input);
  const mayRead = (account: string) => caller.admin === true || account === caller.accountId;
  const who = resolvePrincipal(input.principal, { reader: records, mayRead, identityGiven: input.identityPolicies !== undefined }, target.notes);
  const simCaller: Caller = who.kind === 'signed' && input.identityPolicies ? { ...who, identity: parseIdentityPolicies(input.identityPolicies) } : who;
  return simulate(target, simCaller, input.request);
}
