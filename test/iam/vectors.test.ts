// Every case of ../shared/vectors/iam/cases.json (AWS-documented IAM and VPC Lattice auth-policy
// decisions) through the engine: mode iam -> evaluateIam, mode lattice -> authorizeLattice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parsePolicy, type Policy } from '../../src/iam/policy/parse.ts';
import { evaluateIam, type Principal, type Request } from '../../src/iam/policy/evaluate.ts';
import { authorizeLattice, type Level } from '../../src/iam/policy/lattice.ts';

const FILE = fileURLToPath(new URL('../../../shared/vectors/iam/cases.json', import.meta.url));
const absent = existsSync(FILE) ? false : 'the IAM test vectors are not here (../shared/vectors/iam/cases.json)';

interface LevelDoc { authType: 'NONE' | 'AWS_IAM'; policy: unknown }
interface Case {
  id: string; title: string; mode: 'iam' | 'lattice'; expected: string; source: string;
  identityPolicies?: unknown[]; resourcePolicy?: unknown; resourceAccount?: string;
  serviceNetwork?: LevelDoc; service?: LevelDoc;
  request: { principal: Principal; action: string; resource: string; context: Record<string, string | string[] | number | boolean> };
}

const cases: Case[] = absent ? [] : (JSON.parse(readFileSync(FILE, 'utf8')) as { cases: Case[] }).cases;

/**
 * Cases whose expected decision contradicts the AWS documentation: the engine follows the
 * documentation, and the case is skipped with the page that says so. (None at present.)
 */
const CONTRADICTS_DOCS: Record<string, string> = {};

function compile(doc: unknown, kind: 'identity' | 'resource', where: string): Policy {
  const r = parsePolicy(doc, { kind });
  if (!r.ok) assert.fail(`${where}: ${r.error}`);
  return r.policy;
}

function requestOf(c: Case): Request {
  const context: Request['context'] = {};
  for (const [k, v] of Object.entries(c.request.context ?? {})) if (!k.startsWith('_')) context[k] = v;
  return { principal: c.request.principal, action: c.request.action, resource: c.request.resource, context };
}

function level(l: LevelDoc | undefined, where: string): Level | undefined {
  if (!l) return undefined;
  return { authType: l.authType, policy: l.policy == null ? undefined : compile(l.policy, 'resource', where) };
}

test('the vector file is here and well-formed', { skip: absent }, () => {
  assert.ok(cases.length > 0);
  assert.equal(new Set(cases.map((c) => c.id)).size, cases.length, 'ids are unique');
});

for (const c of cases) {
  test(`${c.id} ${c.title} -> ${c.expected}`, { skip: CONTRADICTS_DOCS[c.id] ?? false }, () => {
    const identity = (c.identityPolicies ?? []).map((d, i) => ({ label: `identity[${i}]`, policy: compile(d, 'identity', `identityPolicies[${i}]`) }));
    const req = requestOf(c);
    let decision: string;
    if (c.mode === 'iam') {
      const resource = c.resourcePolicy == null ? undefined : { label: 'resource', policy: compile(c.resourcePolicy, 'resource', 'resourcePolicy') };
      decision = evaluateIam({ identity, resource, resourceAccount: c.resourceAccount! }, req).decision;
    } else {
      const anonymous = req.principal.type === 'Anonymous';
      decision = authorizeLattice({
        network: level(c.serviceNetwork, 'serviceNetwork'),
        service: level(c.service, 'service'),
        identity: anonymous ? undefined : identity,
      }, req).decision;
    }
    assert.equal(decision, c.expected, `${c.id} (${c.source})`);
  });
}
