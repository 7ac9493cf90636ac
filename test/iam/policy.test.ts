// The IAM policy engine piece by piece: parse errors (with where), matching, every condition
// operator family, policy variables, principals, evaluation and the explain data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePolicy, type Policy } from '../../src/iam/policy/parse.ts';
import { evaluateIam, evaluatePolicies, type Principal, type Request } from '../../src/iam/policy/evaluate.ts';
import { authorizeLattice } from '../../src/iam/policy/lattice.ts';
import { compileGlob, compilePattern, globMatch, parseTemplate } from '../../src/iam/policy/match.ts';
import { parseDate } from '../../src/iam/policy/conditions.ts';

const SVC = 'arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0';
const ROLE: Principal = {
  type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/rates-client/i-0abc',
  principalArn: 'arn:aws:iam::123456789012:role/rates-client', account: '123456789012', orgId: 'o-123456example',
};
const ALICE: Principal = { type: 'User', arn: 'arn:aws:iam::123456789012:user/alice', principalArn: 'arn:aws:iam::123456789012:user/alice', account: '123456789012', username: 'alice' };
const ANON: Principal = { type: 'Anonymous' };

function pol(doc: unknown, kind?: 'identity' | 'resource'): Policy {
  const r = parsePolicy(doc, { kind });
  if (!r.ok) assert.fail(r.error);
  return r.policy;
}
function err(doc: unknown, opts: Parameters<typeof parsePolicy>[1] = {}): string {
  const r = parsePolicy(doc, opts);
  assert.equal(r.ok, false, 'expected a parse error');
  return (r as { error: string }).error;
}
function req(over: Partial<Request> = {}): Request {
  return { principal: ROLE, action: 'vpc-lattice-svcs:Invoke', resource: `${SVC}/`, context: {}, ...over };
}
const allowStmt = (extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Action: '*', Resource: '*', ...extra });
/** Is an identity policy `Allow * *` under this Condition allowed for this request? */
function cond(condition: unknown, context: Request['context'] = {}, over: Partial<Request> = {}, version = '2012-10-17'): boolean {
  const policy = pol({ Version: version, Statement: [allowStmt({ Condition: condition })] }, 'identity');
  return evaluatePolicies([{ label: 'p', policy }], req({ context, ...over })).decision === 'ALLOW';
}

// ---- parse errors --------------------------------------------------------------------------------

test('parse errors name where', () => {
  const ok = { Effect: 'Allow', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' };
  const cases: [unknown, string, Parameters<typeof parsePolicy>[1]?][] = [
    ['{"Version": "2012-10-17", "Statement": [', 'policy is not valid JSON'],
    ['{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Effect":"Allow","Action":"*","Resource":"*"}]}', 'Statement[0].Effect: appears more than once'],
    [{ Version: '2012-10-18', Statement: [ok] }, 'Version: must be "2012-10-17" or "2008-10-17"'],
    [{ Version: '2012-10-17' }, 'Statement: is required'],
    [{ Version: '2012-10-17', Statement: [] }, 'Statement: must contain at least one statement'],
    [{ Version: '2012-10-17', Statement: [ok], Extra: 1 }, 'Extra: unknown policy element'],
    [{ Version: '2012-10-17', Statement: [ok, { ...ok, Effect: 'allow' }] }, 'Statement[1].Effect: must be "Allow" or "Deny"'],
    [{ Version: '2012-10-17', Statement: { Action: '*', Resource: '*' } }, 'Statement.Effect: is required'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, NotAction: 's3:*' }] }, 'Statement[0]: has both Action and NotAction'],
    [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*' }] }, 'Statement[0]: must have Resource or NotResource'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Actions: '*' }] }, 'Statement[0].Actions: unknown statement element'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Action: ['vpc-lattice-svcs:Invoke', 'Invoke'] }] }, 'Statement[0].Action[1]: "Invoke" must be "*" or "service:action"'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Action: [] }] }, 'Statement[0].Action: must be a string or a non-empty array'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Resource: 'svc-1' }] }, 'Statement[0].Resource: "svc-1" must be "*" or an ARN'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Resource: 'arn:aws:vpc-lattice:${aws:RequestedRegion}:1:service/x' }] }, 'Statement[0].Resource: policy variables may appear only in the resource part'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Principal: '*' }] }, 'Statement[0].Principal: not allowed in an identity-based policy', { kind: 'identity' }],
    [{ Version: '2012-10-17', Id: 'x', Statement: [ok] }, 'Id: not allowed in an identity-based policy', { kind: 'identity' }],
    [{ Version: '2012-10-17', Statement: [ok] }, 'Statement[0]: must have Principal or NotPrincipal', { kind: 'resource' }],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Principal: { AWS: ['123456789012', 'arn:aws:iam::123456789012:role/team-*'] } }] }, 'Statement[0].Principal.AWS[1]: wildcards are not allowed', { kind: 'resource' }],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Principal: { Aws: '*' } }] }, 'Statement[0].Principal.Aws: unknown principal type', { kind: 'resource' }],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Principal: { AWS: 'rates-client' } }] }, 'Statement[0].Principal.AWS: "rates-client" is not an account ID', { kind: 'resource' }],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Principal: '*', NotPrincipal: '*' }] }, 'Statement[0]: has both Principal and NotPrincipal', { kind: 'resource' }],
    [{ Version: '2012-10-17', Statement: [ok, { ...ok, Condition: { StringEqual: { 'aws:PrincipalOrgID': 'o-1' } } }] }, 'Statement[1].Condition.StringEqual: unknown condition operator "StringEqual"'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Condition: { NullIfExists: { 'aws:TokenIssueTime': 'true' } } }] }, 'Statement[0].Condition.NullIfExists: Null takes neither IfExists'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Condition: { Null: { 'aws:TokenIssueTime': 'yes' } } }] }, 'Statement[0].Condition.Null["aws:TokenIssueTime"]: Null takes "true" or "false"'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Condition: { NumericLessThan: { 'vpc-lattice-svcs:Port': 'ten' } } }] }, 'Statement[0].Condition.NumericLessThan["vpc-lattice-svcs:Port"]: "ten" is not a number'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Condition: { DateLessThan: { 'aws:CurrentTime': 'tomorrow' } } }] }, '"tomorrow" is not an ISO 8601 date'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } }] }, 'Statement[0].Condition.IpAddress["aws:SourceIp"]: "10.0.0.0/33" is not an IP address'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }] }, 'Bool takes "true" or "false"'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Condition: { BinaryEquals: { 'k:b': '***' } } }] }, '"***" is not base64'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Condition: { StringEquals: { PrincipalOrgID: 'o-1' } } }] }, 'Statement[0].Condition.StringEquals["PrincipalOrgID"]: condition key "PrincipalOrgID" must be prefaced by a vendor'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Condition: { StringEquals: { 'aws:PrincipalOrgID': [] } } }] }, 'Statement[0].Condition.StringEquals["aws:PrincipalOrgID"]: must have at least one value'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Condition: { StringEquals: { 'aws:PrincipalOrgID': [{}] } } }] }, 'Statement[0].Condition.StringEquals["aws:PrincipalOrgID"][0]: values must be strings'],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Sid: 'A' }, { ...ok, Sid: 'A' }] }, 'Statement[1].Sid: "A" is not unique', { kind: 'identity' }],
    [{ Version: '2012-10-17', Statement: [{ ...ok, Sid: 'no spaces' }] }, 'Statement[0].Sid: only A-Z, a-z and 0-9', { kind: 'identity' }],
    ['{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}', 'more than the 40 allowed', { maxSize: 40 }],
  ];
  for (const [doc, want, opts] of cases) assert.ok(err(doc, opts).includes(want), `${err(doc, opts)}\n  should include: ${want}`);
});

test('parse accepts what the grammar allows', () => {
  // Statement as one object, no Version (2008-10-17), Sid with spaces in a resource policy, white space not counted.
  const p = pol({ Statement: { Sid: 'any text here', Effect: 'Allow', Principal: { AWS: '*' }, Action: '*', Resource: '*' } }, 'resource');
  assert.equal(p.version, '2008-10-17');
  assert.equal(p.statements[0].sid, 'any text here');
  const text = '{ "Version" : "2012-10-17" ,\n  "Statement" : [ { "Effect" : "Allow", "Action" : "*", "Resource" : "*" } ] }';
  assert.equal(parsePolicy(text, { maxSize: text.replace(/\s/g, '').length }).ok, true);
  // Same key names in different objects are not duplicates.
  assert.equal(parsePolicy('{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}').ok, true);
  assert.equal(parsePolicy({ Version: '2012-10-17', Statement: [allowStmt({ Condition: { 'ForAnyValue:StringLikeIfExists': { 'aws:TagKeys': 'a*' }, NumericEquals: { 'k:n': 443 }, Bool: { 'k:b': true } } })] }).ok, true);
});

// ---- wildcards, actions, resources ---------------------------------------------------------------

test('glob: * is any run, ? one character, escapes are literal', () => {
  const g = (p: string) => compileGlob(parseTemplate(p, { wildcards: true, variables: true }));
  const m = (p: string, s: string) => globMatch(g(p), s);
  assert.ok(m('*', '') && m('*', 'abc') && m('**', 'x'));
  assert.ok(m('a*c', 'ac') && m('a*c', 'abbc') && !m('a*c', 'abcd'));
  assert.ok(m('a*b*c', 'a-b-b-c') && !m('a*b*c', 'a-c-b'));
  assert.ok(m('v?', 'v1') && !m('v?', 'v10') && !m('v?', 'v'));
  assert.ok(m('*a?c*', 'xxabcxx') && !m('*a?c*', 'xxacxx'));
  assert.ok(m('a${*}b', 'a*b') && !m('a${*}b', 'axb'));
  assert.ok(m('a${?}', 'a?') && !m('a${?}', 'ab'));
  assert.ok(m('${$}{x}', '${x}'));
  const plain = compilePattern('a*b', { wildcards: false, variables: false });
  assert.ok(globMatch(plain.glob!, 'a*b') && !globMatch(plain.glob!, 'axb'));
});

test('Action compares case-insensitively; NotAction inverts', () => {
  const run = (stmt: Record<string, unknown>, action: string) =>
    evaluatePolicies([{ label: 'p', policy: pol({ Version: '2012-10-17', Statement: [stmt] }) }], req({ action })).decision;
  assert.equal(run({ Effect: 'Allow', Action: 'VPC-Lattice-Svcs:invoke', Resource: '*' }, 'vpc-lattice-svcs:Invoke'), 'ALLOW');
  assert.equal(run({ Effect: 'Allow', Action: 'vpc-lattice-svcs:*', Resource: '*' }, 'vpc-lattice-svcs:Connect'), 'ALLOW');
  assert.equal(run({ Effect: 'Allow', Action: 'vpc-lattice:*', Resource: '*' }, 'vpc-lattice-svcs:Invoke'), 'DENY_IMPLICIT');
  assert.equal(run({ Effect: 'Allow', NotAction: 'vpc-lattice-svcs:Connect', Resource: '*' }, 'vpc-lattice-svcs:Invoke'), 'ALLOW');
  assert.equal(run({ Effect: 'Deny', NotAction: 'vpc-lattice-svcs:Invoke', Resource: '*' }, 'vpc-lattice-svcs:Connect'), 'DENY_EXPLICIT');
});

test('Resource: per ARN component, case-sensitive, * spans / and : in the resource part', () => {
  const run = (resource: unknown, r: string, key = 'Resource') =>
    evaluatePolicies([{ label: 'p', policy: pol({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', [key]: resource }] }) }], req({ resource: r })).decision;
  assert.equal(run(`${SVC}/*`, `${SVC}/a/b:c/d`), 'ALLOW');
  assert.equal(run('arn:aws:vpc-lattice:*:123456789012:service/*', `${SVC}/x`), 'ALLOW');
  assert.equal(run('arn:aws:vpc-lattice:us-west-?:*:*', `${SVC}/x`), 'ALLOW');
  // A wildcard stays inside its component: `*2` in the region can't swallow the account.
  assert.equal(run('arn:aws:vpc-lattice:*:service/*:*', `${SVC}/x`), 'DENY_IMPLICIT');
  assert.equal(run(`${SVC}/Admin/*`, `${SVC}/admin/x`), 'DENY_IMPLICIT');
  assert.equal(run([`${SVC}/a`, `${SVC}/b`], `${SVC}/b`), 'ALLOW');
  assert.equal(run(`${SVC}/admin/*`, `${SVC}/public`, 'NotResource'), 'ALLOW');
  assert.equal(run('*', 'not-an-arn'), 'ALLOW');
  assert.equal(run(`${SVC}/*`, 'not-an-arn'), 'DENY_IMPLICIT');
});

// ---- conditions ----------------------------------------------------------------------------------

test('String operators', () => {
  const m = { 'vpc-lattice-svcs:RequestMethod': 'GET' };
  assert.ok(cond({ StringEquals: { 'vpc-lattice-svcs:RequestMethod': ['PUT', 'GET'] } }, m));
  assert.ok(!cond({ StringEquals: { 'vpc-lattice-svcs:RequestMethod': 'get' } }, m));
  assert.ok(cond({ StringEqualsIgnoreCase: { 'vpc-lattice-svcs:RequestMethod': 'get' } }, m));
  assert.ok(!cond({ StringNotEqualsIgnoreCase: { 'vpc-lattice-svcs:RequestMethod': ['post', 'get'] } }, m));
  assert.ok(cond({ StringNotEquals: { 'vpc-lattice-svcs:RequestMethod': ['PUT', 'DELETE'] } }, m));
  assert.ok(!cond({ StringNotEquals: { 'vpc-lattice-svcs:RequestMethod': ['PUT', 'GET'] } }, m));
  assert.ok(cond({ StringLike: { 'vpc-lattice-svcs:RequestMethod': 'G?T' } }, m));
  assert.ok(!cond({ StringLike: { 'vpc-lattice-svcs:RequestMethod': 'g*' } }, m));
  assert.ok(cond({ StringNotLike: { 'vpc-lattice-svcs:RequestMethod': ['P*', 'D*'] } }, m));
  assert.ok(!cond({ StringEquals: { 'vpc-lattice-svcs:RequestMethod': 'G*' } }, m), 'no wildcards in StringEquals');
  // Numbers and booleans in the context compare as text.
  assert.ok(cond({ StringEquals: { 'vpc-lattice-svcs:Port': '443' } }, { 'vpc-lattice-svcs:Port': 443 }));
});

test('Numeric operators', () => {
  const c = { 'vpc-lattice-svcs:Port': 443 };
  const k = 'vpc-lattice-svcs:Port';
  assert.ok(cond({ NumericEquals: { [k]: '443' } }, c) && cond({ NumericEquals: { [k]: 443.0 } }, c));
  assert.ok(cond({ NumericNotEquals: { [k]: [80, 8080] } }, c) && !cond({ NumericNotEquals: { [k]: [80, 443] } }, c));
  assert.ok(cond({ NumericLessThan: { [k]: 1024 } }, c) && !cond({ NumericLessThan: { [k]: 443 } }, c));
  assert.ok(cond({ NumericLessThanEquals: { [k]: 443 } }, c) && !cond({ NumericLessThanEquals: { [k]: 442 } }, c));
  assert.ok(cond({ NumericGreaterThan: { [k]: 80 } }, c) && !cond({ NumericGreaterThan: { [k]: 443 } }, c));
  assert.ok(cond({ NumericGreaterThanEquals: { [k]: '443' } }, c) && !cond({ NumericGreaterThanEquals: { [k]: '443.5' } }, c));
  assert.ok(!cond({ NumericEquals: { [k]: 443 } }, { [k]: 'https' }), 'a non-numeric request value never matches');
  assert.ok(!cond({ NumericEquals: { [k]: 443 } }, {}), 'absent key');
});

test('Date operators: ISO 8601 and epoch seconds, either side', () => {
  const now = new Date('2026-11-26T03:00:00Z');
  assert.ok(cond({ DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }, {}, { now }));
  assert.ok(cond({ DateGreaterThan: { 'aws:CurrentTime': '2026-11-26' } }, {}, { now }));
  assert.ok(cond({ DateEquals: { 'aws:EpochTime': String(now.getTime() / 1000) } }, {}, { now }));
  assert.ok(cond({ DateEquals: { 'aws:CurrentTime': now.getTime() / 1000 } }, {}, { now }), 'epoch policy value against an ISO request value');
  assert.ok(cond({ DateNotEquals: { 'aws:CurrentTime': '2026-11-26T03:00:01Z' } }, {}, { now }));
  assert.ok(cond({ DateLessThanEquals: { 'aws:CurrentTime': '2026-11-26T04:00:00+01:00' } }, {}, { now }));
  assert.ok(!cond({ DateGreaterThanEquals: { 'aws:CurrentTime': '2026-11-26T03:00:01Z' } }, {}, { now }));
  assert.ok(cond({ DateLessThan: { 'aws:TokenIssueTime': '2030-01-01T00:00:00Z' } }, { 'aws:TokenIssueTime': '2025-01-01T00:00:00Z' }));
  assert.ok(!cond({ DateLessThan: { 'aws:TokenIssueTime': '2030-01-01T00:00:00Z' } }, { 'aws:TokenIssueTime': 'yesterday' }));
  assert.equal(parseDate('2020-01-01T00:00'), Date.UTC(2020, 0, 1), 'no zone means UTC');
  // `now` gives the time keys even over a context value.
  assert.ok(cond({ DateLessThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' } }, { 'aws:CurrentTime': '2031-01-01T00:00:00Z' }, { now }));
});

test('Bool, BinaryEquals', () => {
  assert.ok(cond({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': true }));
  assert.ok(cond({ Bool: { 'aws:SecureTransport': false } }, { 'aws:SecureTransport': 'false' }));
  assert.ok(!cond({ Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': false }));
  assert.ok(!cond({ Bool: { 'aws:SecureTransport': 'true' } }, {}));
  const b64 = Buffer.from('BinaryValue').toString('base64');
  assert.ok(cond({ BinaryEquals: { 'k:bin': b64 } }, { 'k:bin': b64 }));
  assert.ok(!cond({ BinaryEquals: { 'k:bin': b64 } }, { 'k:bin': Buffer.from('Other').toString('base64') }));
});

test('IpAddress / NotIpAddress: IPv4, IPv6, bare addresses, IPv4-mapped IPv6', () => {
  const k = 'aws:SourceIp';
  assert.ok(cond({ IpAddress: { [k]: ['192.168.0.0/24', '10.0.0.0/8'] } }, { [k]: '10.1.2.3' }));
  assert.ok(!cond({ IpAddress: { [k]: '10.0.0.0/16' } }, { [k]: '10.1.2.3' }));
  assert.ok(cond({ IpAddress: { [k]: '10.1.2.3' } }, { [k]: '10.1.2.3' }) && !cond({ IpAddress: { [k]: '10.1.2.3' } }, { [k]: '10.1.2.4' }));
  assert.ok(cond({ IpAddress: { [k]: '2001:db8::/32' } }, { [k]: '2001:db8:1::5' }));
  assert.ok(!cond({ IpAddress: { [k]: '2001:db8::/32' } }, { [k]: '10.0.0.1' }));
  assert.ok(cond({ IpAddress: { [k]: '10.0.0.0/8' } }, { [k]: '::ffff:10.0.0.1' }));
  assert.ok(cond({ NotIpAddress: { [k]: ['10.0.0.0/16', '192.168.0.0/24'] } }, { [k]: '172.16.0.1' }));
  assert.ok(!cond({ NotIpAddress: { [k]: ['10.0.0.0/16', '192.168.0.0/24'] } }, { [k]: '192.168.0.5' }));
  assert.ok(!cond({ IpAddress: { [k]: '10.0.0.0/8' } }, { [k]: 'not-an-ip' }));
});

test('Arn operators: component-wise, case-sensitive, wildcards in Equals and Like alike', () => {
  const k = 'vpc-lattice-svcs:ServiceNetworkArn';
  const sn = 'arn:aws:vpc-lattice:us-west-2:123456789012:servicenetwork/sn-0123456789abcdef0';
  assert.ok(cond({ ArnLike: { [k]: 'arn:aws:vpc-lattice:*:123456789012:servicenetwork/*' } }, { [k]: sn }));
  assert.ok(cond({ ArnEquals: { [k]: 'arn:aws:vpc-lattice:*:123456789012:servicenetwork/*' } }, { [k]: sn }));
  assert.ok(!cond({ ArnLike: { [k]: 'arn:aws:vpc-lattice:*:111122223333:servicenetwork/*' } }, { [k]: sn }));
  assert.ok(!cond({ ArnLike: { [k]: 'arn:aws:*' } }, { [k]: sn }), 'a pattern with fewer components never matches');
  assert.ok(!cond({ ArnLike: { [k]: 'arn:aws:vpc-lattice:*:123456789012:ServiceNetwork/*' } }, { [k]: sn }));
  assert.ok(cond({ ArnNotLike: { [k]: 'arn:aws:vpc-lattice:*:111122223333:*' } }, { [k]: sn }));
  assert.ok(!cond({ ArnNotEquals: { [k]: sn } }, { [k]: sn }));
  assert.ok(cond({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/rates-*' } }));
});

test('Null, IfExists, and negated operators on an absent key', () => {
  assert.ok(cond({ Null: { 'aws:PrincipalTag/team': 'true' } }));
  assert.ok(!cond({ Null: { 'aws:PrincipalTag/team': 'false' } }));
  assert.ok(cond({ Null: { 'aws:PrincipalOrgID': false } }));
  assert.ok(cond({ Null: { 'aws:TagKeys': 'true' } }, { 'aws:TagKeys': [] }), 'an empty multivalued key counts as absent');
  assert.ok(cond({ StringEqualsIfExists: { 'k:x': 't1' } }) && !cond({ StringEqualsIfExists: { 'k:x': 't1' } }, { 'k:x': 't2' }));
  assert.ok(cond({ NumericLessThanIfExists: { 'k:n': 5 } }) && !cond({ NumericLessThanIfExists: { 'k:n': 5 } }, { 'k:n': 6 }));
  for (const op of ['StringNotEquals', 'StringNotLike', 'StringNotEqualsIgnoreCase', 'NumericNotEquals', 'DateNotEquals', 'ArnNotEquals', 'ArnNotLike', 'NotIpAddress']) {
    const v = op.startsWith('Numeric') ? 1 : op.startsWith('Date') ? '2020-01-01' : op.startsWith('Arn') ? 'arn:aws:s3:::b' : op === 'NotIpAddress' ? '10.0.0.0/8' : 'x';
    assert.ok(cond({ [op]: { 'k:absent': v } }), `${op} on an absent key is true`);
  }
  for (const op of ['StringEquals', 'StringLike', 'NumericEquals', 'DateEquals', 'Bool', 'ArnLike', 'IpAddress']) {
    const v = op.startsWith('Numeric') ? 1 : op.startsWith('Date') ? '2020-01-01' : op.startsWith('Arn') ? 'arn:aws:s3:::b' : op === 'IpAddress' ? '10.0.0.0/8' : op === 'Bool' ? 'true' : 'x';
    assert.ok(!cond({ [op]: { 'k:absent': v } }), `${op} on an absent key is false`);
  }
});

test('ForAllValues / ForAnyValue', () => {
  const all = { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team'] } };
  const any = { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'team'] } };
  assert.ok(cond(all) && cond(all, { 'aws:TagKeys': [] }), 'ForAllValues: absent or empty is true');
  assert.ok(cond(all, { 'aws:TagKeys': ['env'] }) && !cond(all, { 'aws:TagKeys': ['env', 'owner'] }));
  assert.ok(!cond(any) && !cond(any, { 'aws:TagKeys': [] }), 'ForAnyValue: absent or empty is false');
  assert.ok(cond(any, { 'aws:TagKeys': ['owner', 'team'] }) && !cond(any, { 'aws:TagKeys': ['owner'] }));
  assert.ok(cond({ 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': 'env' } }), 'IfExists rescues an absent key');
  // Negated operators test each request value against none of the policy values.
  assert.ok(cond({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['a', 'b'] } }, { 'aws:TagKeys': ['c', 'd'] }));
  assert.ok(!cond({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['a', 'b'] } }, { 'aws:TagKeys': ['c', 'a'] }));
  assert.ok(cond({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['a', 'b'] } }, { 'aws:TagKeys': ['c', 'a'] }));
  assert.ok(!cond({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['a', 'b'] } }, { 'aws:TagKeys': ['a'] }));
  assert.ok(cond({ 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-123456example/r-ab12/ou-ab12-11111111/*' } }, {},
    { principal: { ...ROLE, orgPaths: ['o-123456example/r-ab12/ou-ab12-11111111/ou-ab12-22222222/'] } }));
  // A single value is a one-element set; a multivalued key under a plain operator: any (positive) / none (negated).
  assert.ok(cond({ 'ForAllValues:StringEquals': { 'k:s': ['x'] } }, { 'k:s': 'x' }));
  assert.ok(cond({ StringEquals: { 'k:m': 'b' } }, { 'k:m': ['a', 'b'] }) && !cond({ StringNotEquals: { 'k:m': 'b' } }, { 'k:m': ['a', 'b'] }));
});

test('AND across operators and keys, OR across values', () => {
  const c = { 'k:a': '1', 'k:b': '2' };
  assert.ok(cond({ StringEquals: { 'k:a': ['0', '1'], 'k:b': '2' } }, c));
  assert.ok(!cond({ StringEquals: { 'k:a': '1', 'k:b': '3' } }, c));
  assert.ok(cond({ StringEquals: { 'k:a': '1' }, NumericEquals: { 'k:b': 2 } }, c));
  assert.ok(!cond({ StringEquals: { 'k:a': '1' }, NumericEquals: { 'k:b': 3 } }, c));
});

test('key names and tag keys are case-insensitive; principal keys come only from the principal', () => {
  assert.ok(cond({ StringEquals: { 'AWS:SOURCEVPC': 'vpc-1' } }, { 'aws:SourceVpc': 'vpc-1' }));
  assert.ok(cond({ StringEquals: { 'vpc-lattice-svcs:RequestHeader/X-Team': 'blue' } }, { 'vpc-lattice-svcs:requestheader/x-team': 'blue' }));
  assert.ok(cond({ StringEquals: { 'aws:PrincipalTag/Team': 'blue' } }, {}, { principal: { ...ROLE, tags: { team: 'blue' } } }));
  assert.ok(!cond({ StringEquals: { 'aws:PrincipalTag/team': 'Blue' } }, {}, { principal: { ...ROLE, tags: { team: 'blue' } } }), 'tag values are case-sensitive');
  assert.ok(!cond({ StringEquals: { 'aws:PrincipalOrgID': 'o-123456example' } }, { 'aws:PrincipalOrgID': 'o-123456example' }, { principal: ANON }), 'the context cannot forge a principal key');
  assert.ok(!cond({ StringEquals: { 'aws:PrincipalTag/team': 'blue' } }, { 'aws:PrincipalTag/team': 'blue' }));
  assert.ok(!cond({ Null: { '_k:rawPath': 'false' } }, { '_k:rawPath': '/x' }), '`_` context keys are notes, not condition keys');
  assert.ok(cond({ StringEquals: { 'aws:PrincipalType': 'Account' } }, {}, { principal: { type: 'Root', arn: 'arn:aws:iam::123456789012:root', account: '123456789012' } }));
  assert.ok(cond({ StringEquals: { 'aws:PrincipalArn': ROLE.principalArn!, 'aws:PrincipalAccount': '123456789012', 'aws:username': 'alice' } }, {}, { principal: { ...ALICE, principalArn: ROLE.principalArn } }));
});

// ---- policy variables ----------------------------------------------------------------------------

test('policy variables: Resource and String/Arn values, defaults, escapes, 2012-10-17 only', () => {
  const home = { Effect: 'Allow', Action: '*', Resource: `${SVC}/home/\${aws:username}/*` };
  const run = (stmt: unknown, r: string, principal: Principal = ALICE, version = '2012-10-17') =>
    evaluatePolicies([{ label: 'p', policy: pol({ Version: version, Statement: [stmt] }) }], req({ resource: r, principal })).decision;
  assert.equal(run(home, `${SVC}/home/alice/x`), 'ALLOW');
  assert.equal(run(home, `${SVC}/home/bob/x`), 'DENY_IMPLICIT');
  assert.equal(run(home, `${SVC}/home/alice/x`, ROLE), 'DENY_IMPLICIT', 'no value: the entry matches nothing');
  assert.equal(run(home, `${SVC}/home/alice/x`, ALICE, '2008-10-17'), 'DENY_IMPLICIT', 'literal under 2008-10-17');
  assert.equal(run(home, `${SVC}/home/\${aws:username}/x`, ALICE, '2008-10-17'), 'ALLOW');
  const dflt = { ...home, Resource: `${SVC}/home/\${aws:username, 'shared'}/*` };
  assert.equal(run(dflt, `${SVC}/home/shared/x`, ROLE), 'ALLOW');
  // A substituted value is literal text: its `*` is no wildcard.
  assert.ok(!cond({ StringLike: { 'k:x': '${aws:PrincipalTag/p}' } }, { 'k:x': 'abc' }, { principal: { ...ROLE, tags: { p: 'a*' } } }));
  assert.ok(cond({ StringLike: { 'k:x': '${aws:PrincipalTag/p}*' } }, { 'k:x': 'abc' }, { principal: { ...ROLE, tags: { p: 'a' } } }));
  assert.ok(cond({ ArnEquals: { 'k:arn': '${aws:PrincipalArn}' } }, { 'k:arn': ROLE.principalArn! }));
  assert.ok(cond({ StringEqualsIgnoreCase: { 'k:x': '${aws:PrincipalTag/team}' } }, { 'k:x': 'BLUE' }, { principal: { ...ROLE, tags: { team: 'blue' } } }));
  // Multivalued keys are not variables: the default applies.
  assert.ok(cond({ StringEquals: { 'k:x': "${aws:TagKeys, 'none'}" } }, { 'k:x': 'none', 'aws:TagKeys': ['a'] }));
  // Not substituted in other operators (it is then plain text that must parse as that type).
  assert.ok(parsePolicy({ Version: '2012-10-17', Statement: [allowStmt({ Condition: { NumericEquals: { 'k:n': '${k:m}' } } })] }).ok === false);
});

// ---- principals ----------------------------------------------------------------------------------

test('Principal forms', () => {
  const run = (principalEl: unknown, principal: Principal) =>
    evaluatePolicies([{ label: 'r', policy: pol({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principalEl, Action: '*', Resource: '*' }] }, 'resource') }], req({ principal }));
  assert.equal(run('*', ANON).decision, 'ALLOW');
  assert.equal(run({ AWS: '*' }, ANON).decision, 'ALLOW');
  assert.equal(run({ AWS: 'arn:aws:iam::123456789012:role/rates-client' }, ROLE).decision, 'ALLOW');
  assert.equal(run({ AWS: ROLE.arn }, ROLE).decision, 'ALLOW');
  assert.equal(run({ AWS: 'arn:aws:sts::123456789012:assumed-role/rates-client/other' }, ROLE).decision, 'DENY_IMPLICIT');
  assert.equal(run({ AWS: 'arn:aws:iam::123456789012:role/rates-client' }, ANON).decision, 'DENY_IMPLICIT');
  assert.equal(run({ AWS: ALICE.arn }, ALICE).decision, 'ALLOW');
  assert.deepEqual(run({ AWS: '123456789012' }, ALICE).allows[0].viaAccount, true);
  assert.deepEqual(run({ AWS: 'arn:aws:iam::123456789012:root' }, ROLE).allows[0].viaAccount, true);
  assert.equal(run({ AWS: '111122223333' }, ROLE).decision, 'DENY_IMPLICIT');
  assert.equal(run({ Service: 'lambda.amazonaws.com' }, { type: 'Service', arn: 'lambda.amazonaws.com' }).decision, 'ALLOW');
  assert.equal(run({ Service: 'lambda.amazonaws.com' }, ROLE).decision, 'DENY_IMPLICIT');
});

test('NotPrincipal: Deny exempts a caller only when its whole chain is listed', () => {
  const deny = (list: string[], principal: Principal) => evaluatePolicies([{ label: 'r', policy: pol({
    Version: '2012-10-17', Statement: [{ Effect: 'Deny', NotPrincipal: { AWS: list }, Action: '*', Resource: '*' }],
  }, 'resource') }], req({ principal })).decision;
  const root = 'arn:aws:iam::123456789012:root';
  assert.equal(deny([ALICE.arn!, root], ALICE), 'DENY_IMPLICIT');
  assert.equal(deny([ALICE.arn!], ALICE), 'DENY_EXPLICIT', 'account not listed');
  assert.equal(deny([ROLE.principalArn!, root], ROLE), 'DENY_EXPLICIT', 'session not listed');
  assert.equal(deny([ROLE.arn!, ROLE.principalArn!, root], ROLE), 'DENY_IMPLICIT');
  assert.equal(deny([ALICE.arn!, root], ANON), 'DENY_EXPLICIT');
  const allow = (list: string[], principal: Principal) => evaluatePolicies([{ label: 'r', policy: pol({
    Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: list }, Action: '*', Resource: '*' }],
  }, 'resource') }], req({ principal })).decision;
  assert.equal(allow([ALICE.arn!], ANON), 'ALLOW', 'NotPrincipal with Allow grants everyone else, anonymous too');
  assert.equal(allow([ALICE.arn!], ALICE), 'DENY_IMPLICIT');
  assert.equal(allow(['123456789012'], ROLE), 'DENY_IMPLICIT');
});

// ---- evaluation and explain ----------------------------------------------------------------------

test('evaluatePolicies reports the deciding statements', () => {
  const a = pol({ Version: '2012-10-17', Statement: [
    { Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' },
    { Sid: 'Other', Effect: 'Allow', Action: 's3:*', Resource: '*' },
    { Sid: 'NoAdmin', Effect: 'Deny', Action: '*', Resource: `${SVC}/admin/*` },
  ] });
  const b = pol({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'vpc-lattice-svcs:Invoke', Resource: `${SVC}/*` }] });
  const ok = evaluatePolicies([{ label: 'a', policy: a }, { label: 'b', policy: b }], req({ resource: `${SVC}/api` }));
  assert.deepEqual(ok, { decision: 'ALLOW', allows: [{ policy: 'a', statement: 0, sid: 'All', effect: 'Allow' }, { policy: 'b', statement: 0, effect: 'Allow' }], denies: [] });
  const no = evaluatePolicies([{ label: 'a', policy: a }, { label: 'b', policy: b }], req({ resource: `${SVC}/admin/x` }));
  assert.equal(no.decision, 'DENY_EXPLICIT');
  assert.deepEqual(no.denies, [{ policy: 'a', statement: 2, sid: 'NoAdmin', effect: 'Deny' }]);
  assert.equal(no.allows.length, 2);
  assert.deepEqual(evaluatePolicies([], req()), { decision: 'DENY_IMPLICIT', allows: [], denies: [] });
});

test('evaluateIam: same-account union, account delegation, cross-account intersection, anonymous', () => {
  const idAllow = [{ label: 'id', policy: pol({ Version: '2012-10-17', Statement: [allowStmt()] }, 'identity') }];
  const resFor = (principalEl: unknown) => ({ label: 'res', policy: pol({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principalEl, Action: '*', Resource: '*' }] }, 'resource') });
  const run = (identity: typeof idAllow, resource: ReturnType<typeof resFor> | undefined, principal: Principal) =>
    evaluateIam({ identity, resource, resourceAccount: '123456789012' }, req({ principal })).decision;
  assert.equal(run([], resFor({ AWS: ROLE.principalArn }), ROLE), 'ALLOW', 'same account: the resource policy alone, naming the role');
  assert.equal(run([], resFor({ AWS: '123456789012' }), ROLE), 'DENY_IMPLICIT', 'naming the account delegates; no identity allow');
  assert.equal(run(idAllow, resFor({ AWS: '123456789012' }), ROLE), 'ALLOW');
  assert.equal(run(idAllow, undefined, ROLE), 'ALLOW');
  const other: Principal = { ...ROLE, arn: 'arn:aws:sts::111122223333:assumed-role/x/s', principalArn: 'arn:aws:iam::111122223333:role/x', account: '111122223333' };
  assert.equal(run(idAllow, undefined, other), 'DENY_IMPLICIT');
  assert.equal(run([], resFor({ AWS: '111122223333' }), other), 'DENY_IMPLICIT');
  assert.equal(run(idAllow, resFor({ AWS: '111122223333' }), other), 'ALLOW');
  assert.equal(run([], resFor('*'), ANON), 'ALLOW');
  assert.equal(run(idAllow, resFor({ AWS: '123456789012' }), ANON), 'DENY_IMPLICIT');
});

test('authorizeLattice: levels, deniedBy and the per-level explain', () => {
  const authOnly = pol({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*', Condition: { StringNotEqualsIgnoreCase: { 'aws:PrincipalType': 'anonymous' } } }] }, 'resource');
  const svc = pol({ Version: '2012-10-17', Statement: [
    { Sid: 'All', Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' },
    { Sid: 'NoAdmin', Effect: 'Deny', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: `${SVC}/admin/*` },
  ] }, 'resource');
  const identity = [{ label: 'role-policy', policy: pol({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'vpc-lattice-svcs:Invoke', Resource: '*' }] }, 'identity') }];
  const network = { authType: 'AWS_IAM' as const, policy: authOnly };
  const service = { authType: 'AWS_IAM' as const, policy: svc };

  const ok = authorizeLattice({ network, service, identity }, req({ resource: `${SVC}/api` }));
  assert.equal(ok.decision, 'ALLOW');
  assert.equal(ok.deniedBy, undefined);
  assert.deepEqual(ok.service!.allows, [{ policy: 'service', statement: 0, sid: 'All', effect: 'Allow' }]);
  assert.deepEqual(ok.identity!.allows, [{ policy: 'role-policy', statement: 0, effect: 'Allow' }]);

  const admin = authorizeLattice({ network, service, identity }, req({ resource: `${SVC}/admin/keys` }));
  assert.equal(admin.decision, 'DENY_EXPLICIT');
  assert.equal(admin.deniedBy, 'service');
  assert.deepEqual(admin.service!.denies, [{ policy: 'service', statement: 1, sid: 'NoAdmin', effect: 'Deny' }]);

  // Explicit beats implicit in reporting, whichever level comes first.
  const anonAdmin = authorizeLattice({ network, service }, req({ principal: ANON, resource: `${SVC}/admin/keys` }));
  assert.equal(anonAdmin.decision, 'DENY_EXPLICIT');
  assert.equal(anonAdmin.deniedBy, 'service');
  assert.equal(anonAdmin.network!.decision, 'DENY_IMPLICIT');
  assert.equal(anonAdmin.identity, undefined, 'anonymous callers have no identity level');

  const noIdentity = authorizeLattice({ service }, req());
  assert.equal(noIdentity.decision, 'DENY_IMPLICIT', 'a signed caller needs an identity allow');
  assert.equal(noIdentity.deniedBy, 'identity');
  assert.equal(authorizeLattice({ service }, req({ principal: ANON })).decision, 'ALLOW');

  const noPolicy = authorizeLattice({ network: { authType: 'AWS_IAM' }, service, identity }, req());
  assert.equal(noPolicy.decision, 'DENY_IMPLICIT');
  assert.equal(noPolicy.deniedBy, 'network');

  const off = authorizeLattice({ network: { authType: 'NONE', policy: svc }, service: { authType: 'NONE' } }, req({ resource: `${SVC}/admin/x` }));
  assert.deepEqual(off, { decision: 'ALLOW' });
});
