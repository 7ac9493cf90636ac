// The API port: restJson1 over HTTP for the Lattice operations, plus Trellis's own /_trellis
// endpoints and /metrics. Request path: read body -> route -> authenticate -> decode ->
// validate -> handler (writes serialized) -> one atomic commit -> respond.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID, createHash } from 'node:crypto';
import type { Store } from '../store/store.ts';
import type { View } from '../store/view.ts';
import { Router } from './protocol/route.ts';
import { targetOf } from './protocol/awsjson.ts';
import { decodeInput, sendError, sendOutput } from './protocol/restjson.ts';
import { validate } from './protocol/validate.ts';
import { operations, type Operation } from './lattice/operations.ts';
import type { Handlers } from './lattice/handlers.ts';
import { Ctx, NO_RUNTIME, type Caller, type Runtime } from './lattice/context.ts';
import type { Quotas } from './lattice/quotas.ts';
import { ApiError, internal, validation, conflict, accessDenied } from '../core/errors.ts';
import { principalOf } from '../iam/principals.ts';
import { evaluatePolicies } from '../iam/policy/evaluate.ts';
import { authenticate } from '../iam/authenticate.ts';
import type { AccessKeyRecord } from '../iam/identities.ts';
import type { SignableRequest } from '../iam/sigv4.ts';
import { Metrics } from './metrics.ts';
import { adminRoute } from './admin.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
export const SIGNING_SERVICE = 'vpc-lattice';

export interface ApiOptions {
  store: Store;
  view: View;
  region: string;
  quotas: Quotas;
  handlers: Handlers;
  /** The revision the data plane has applied (default: everything the view has). */
  appliedRevision?: () => number;
  runtime?: Runtime;
  /** Other AWS APIs served on the same port. */
  services?: AwsService[];
  /** More Prometheus text for GET /metrics (the data plane's). */
  extraMetrics?: () => string | Promise<string>;
  log?: (line: string) => void;
}

interface TokenRecord { hash: string; output: unknown; createdAt: string }

/** A request to one of the other AWS APIs served on this port (EC2, ACM, …), body already read. */
export interface AwsRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  requestId: string;
}

export interface AwsResponse { status: number; headers: Record<string, string>; body: string }

/**
 * Another AWS API on the API port, in its own wire protocol (EC2's query+XML, ACM's JSON, …): the
 * server authenticates the request with the service's SigV4 signing name, runs `handle` with a Ctx
 * (writes committed atomically afterwards, one writer at a time) and sends what it returns.
 */
export interface AwsService {
  readonly signingName: string;
  /** Is this request for this service? (X-Amz-Target prefix, form Action, …) */
  claims(req: AwsRequest): boolean;
  handle(ctx: Ctx, req: AwsRequest): AwsResponse;
  /** The service's own rendering of an error (EC2 XML, ACM JSON …). */
  renderError(err: ApiError, req: AwsRequest): AwsResponse;
}

export function createApiServer(opts: ApiOptions): Server {
  const router = new Router(operations);
  const metrics = new Metrics();
  let writeQueue: Promise<unknown> = Promise.resolve();
  const serialize = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = writeQueue.then(fn, fn);
    writeQueue = run.catch(() => undefined);
    return run;
  };
  const lookup = (id: string) => opts.view.get<AccessKeyRecord>('accesskey', id);

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string, body: Buffer): Promise<string> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';

    if (method === 'GET' && rawPath === '/_trellis/health') {
      sendOutput(res, 200, { status: 'ok', revision: opts.view.revision }, requestId);
      return 'health';
    }
    if (method === 'GET' && rawPath === '/metrics') {
      const text = metrics.render() + ((await opts.extraMetrics?.()) ?? '');
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'x-amzn-requestid': requestId });
      res.end(text);
      return 'metrics';
    }

    const signable: SignableRequest = { method, path: rawPath, query: rawQuery, headers: pairs(req.rawHeaders) };
    if (rawPath.startsWith('/_trellis/')) {
      const key = authenticate({ region: opts.region, service: SIGNING_SERVICE, lookup }, signable, body);
      await serialize(() => adminRoute(method, rawPath, body, key, opts, res, requestId));
      return 'admin';
    }

    const awsReq: AwsRequest = { method, path: rawPath, query: new URLSearchParams(rawQuery), headers: req.headers, body, requestId };
    const service = opts.services?.find((s) => s.claims(awsReq));
    if (service) {
      const out = await serveAws(service, awsReq, signable).catch((err: unknown) => {
        if (err instanceof ApiError) return service.renderError(err, awsReq);
        opts.log?.(`request ${requestId} failed: ${err instanceof Error ? err.stack : String(err)}`);
        return service.renderError(internal(), awsReq);
      });
      res.writeHead(out.status, { ...out.headers, 'content-length': String(Buffer.byteLength(out.body)), 'x-amzn-requestid': requestId });
      res.end(out.body);
      return service.signingName;
    }

    const match = router.match(method, rawPath);
    if (match === undefined || match === 'method') {
      throw new ApiError('UnknownOperationException', 404, `No operation matches ${method} ${rawPath}.`);
    }
    const op = match.op;
    const key = authenticate({ region: opts.region, service: SIGNING_SERVICE, lookup }, signable, body);
    authorizeCall(opts.view, key, `vpc-lattice:${op.name}`, opts.region);
    const caller: Caller = { accountId: key.accountId, arn: key.arn, accessKeyId: key.accessKeyId };
    const input = decodeInput(op.input, match.labels, new URLSearchParams(rawQuery), body);
    const invalid = validate(op.input, input);
    if (invalid) throw invalid;

    const readonly = method === 'GET' || op.name.startsWith('List') || op.name.startsWith('Get');
    const run = async () => {
      const ctx = new Ctx(opts.view, caller, opts.region, opts.quotas, opts.appliedRevision?.() ?? opts.view.revision, opts.runtime ?? NO_RUNTIME);
      const token = tokenMember(op);
      const tokenValue = token ? (input[token] as string | undefined) : undefined;
      const tokenKey = tokenValue ? `${caller.accountId}:${op.name}:${tokenValue}` : undefined;
      const hash = tokenKey ? inputHash(input, token!) : '';
      if (tokenKey) {
        const prior = ctx.get<TokenRecord>('token', tokenKey);
        if (prior) {
          if (prior.hash !== hash) throw conflict(`The client token ${tokenValue} was already used with different parameters.`, 'CLIENT_TOKEN', tokenValue!);
          return prior.output;
        }
      }
      const handler = opts.handlers[op.name as keyof Handlers] as unknown as (ctx: Ctx, input: unknown) => unknown;
      const output = handler(ctx, input);
      if (tokenKey && ctx.writes.length > 0) ctx.put('token', tokenKey, { hash, output, createdAt: ctx.timestamp });
      if (ctx.writes.length > 0) await opts.store.commit(ctx.writes);
      return output;
    };
    const output = readonly ? await run() : await serialize(run);
    sendOutput(res, op.code, output, requestId);
    return op.name;
  }

  async function serveAws(service: AwsService, awsReq: AwsRequest, signable: SignableRequest): Promise<AwsResponse> {
    const key = authenticate({ region: opts.region, service: service.signingName, lookup }, signable, awsReq.body);
    const action = actionOf(awsReq);
    // STS answers who you are and decides AssumeRole by the role's trust policy itself.
    if (service.signingName !== 'sts' && action) authorizeCall(opts.view, key, `${service.signingName}:${action}`, opts.region);
    const caller: Caller = { accountId: key.accountId, arn: key.arn, accessKeyId: key.accessKeyId };
    return serialize(async () => {
      const ctx = new Ctx(opts.view, caller, opts.region, opts.quotas, opts.appliedRevision?.() ?? opts.view.revision, opts.runtime ?? NO_RUNTIME);
      const out = service.handle(ctx, awsReq);
      if (ctx.writes.length > 0) await opts.store.commit(ctx.writes);
      return out;
    });
  }

  return createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    const requestId = randomUUID();
    const started = process.hrtime.bigint();
    readBody(req).then((body) => handle(req, res, requestId, body)).then(
      (name) => metrics.observe(name, res.statusCode, started),
      (err: unknown) => {
        const apiErr = err instanceof ApiError ? err : undefined;
        if (!apiErr) opts.log?.(`request ${requestId} failed: ${err instanceof Error ? err.stack : String(err)}`);
        if (!res.headersSent) sendError(res, apiErr ?? internal(), requestId);
        else res.destroy();
        metrics.observe('error', res.statusCode, started);
      },
    );
  });
}

/**
 * Reads the body up to MAX_BODY_BYTES. A larger body is drained (so the client can read our
 * error instead of a reset connection) up to 16 times the limit, then the connection is cut.
 */
/**
 * Control-plane authorization: an IAM user or role session may call an API only when its identity
 * policies allow the action (IAM's rule within one account); the account root and the bootstrap
 * administrator may call everything. Resource-level scoping is not applied: the resource is "*".
 */
function authorizeCall(view: View, key: AccessKeyRecord, action: string, region: string): void {
  const who = principalOf(view, key);
  if (who.root) return;
  const result = evaluatePolicies(who.identity ?? [], { principal: who.principal, action, resource: '*', context: { 'aws:RequestedRegion': region } });
  if (result.decision !== 'ALLOW') {
    const why = result.decision === 'DENY_EXPLICIT' ? 'with an explicit deny in an identity-based policy' : 'because no identity-based policy allows the action';
    throw accessDenied(`User: ${who.principal.arn} is not authorized to perform: ${action} on resource: * ${why}`);
  }
}

/** The action a request to another AWS API names: its X-Amz-Target operation or its form Action. */
function actionOf(req: AwsRequest): string | undefined {
  const target = targetOf(req);
  if (target !== undefined) return target.slice(target.lastIndexOf('.') + 1);
  const type = req.headers['content-type'] ?? '';
  const form = type.includes('x-www-form-urlencoded') ? new URLSearchParams(req.body.toString('utf8')) : req.query;
  return form.get('Action') ?? undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
      else if (size > 16 * MAX_BODY_BYTES) req.destroy();
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(validation(`Request body exceeds ${MAX_BODY_BYTES} bytes.`, 'other'));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

function tokenMember(op: Operation): string | undefined {
  for (const [name, m] of Object.entries(op.input.members)) if (m.idempotencyToken) return name;
  return undefined;
}

/** A hash of the input without its client token, independent of member order. */
function inputHash(input: Record<string, unknown>, token: string): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical)
      : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  const { [token]: _omit, ...rest } = input;
  return createHash('sha256').update(JSON.stringify(canonical(rest))).digest('hex');
}
