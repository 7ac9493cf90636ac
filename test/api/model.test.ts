// The oracle: our operation table and input shapes against the AWS Smithy model in ../shared.
// The product never reads that file; this test keeps our own table honest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { operations } from '../../src/api/lattice/operations.ts';
import type { Member, Shape } from '../../src/api/protocol/schema.ts';

const MODEL = fileURLToPath(new URL('../../../shared/spec/vpc-lattice.smithy.json', import.meta.url));
const NS = 'com.amazonaws.vpclattice#';
/** Operations the SDK has beyond the saved model (../shared/spec/vpc-lattice.npm-delta.txt). */
const SDK_ONLY = ['StartDomainVerification', 'GetDomainVerification', 'ListDomainVerifications', 'DeleteDomainVerification'];
/** Members the SDK added to shapes of the saved model, and enum values it added. */
const SDK_ONLY_MEMBERS = new Set([
  'CreateServiceRequest.idleTimeoutSeconds', 'UpdateServiceRequest.idleTimeoutSeconds',
  'CreateResourceConfigurationRequest.customDomainName', 'CreateResourceConfigurationRequest.groupDomain',
  'CreateResourceConfigurationRequest.domainVerificationIdentifier', 'CreateResourceGatewayRequest.ipv4AddressesPerEni',
  'CreateResourceGatewayRequest.resourceConfigDnsResolution', 'CreateServiceNetworkResourceAssociationRequest.privateDnsEnabled',
  'CreateServiceNetworkVpcAssociationRequest.privateDnsEnabled', 'CreateServiceNetworkVpcAssociationRequest.dnsOptions',
  'UpdateServiceNetworkVpcAssociationRequest.privateDnsEnabled', 'UpdateServiceNetworkVpcAssociationRequest.dnsOptions',
  'ListResourceConfigurationsRequest.domainVerificationIdentifier', 'ListServiceNetworkResourceAssociationsRequest.includeChildren',
  'ResourceConfigurationDefinition.cidrResource',
]);
/** Members the saved model requires and the SDK (3.1142) made optional. */
const SDK_OPTIONAL = new Set([
  'CreateResourceGatewayRequest.vpcIdentifier', 'CreateResourceGatewayRequest.subnetIds',
  'UpdateServiceNetworkVpcAssociationRequest.securityGroupIds',
]);
const SDK_ONLY_ENUMS: Record<string, string[]> = { ProtocolType: ['TCP_UDP'], ResourceConfigurationType: ['CIDR'] };

type SmithyShape = { type: string; members?: Record<string, { target: string; traits?: Record<string, unknown> }>; member?: { target: string }; key?: { target: string }; value?: { target: string }; traits?: Record<string, unknown> };

const skip = existsSync(MODEL) ? false : 'the AWS model is not here (../shared/spec); nothing to compare against';

test('the operation table has every model operation with its method, URI and status code', { skip }, () => {
  const model = JSON.parse(readFileSync(MODEL, 'utf8')) as { shapes: Record<string, SmithyShape & { traits?: { 'smithy.api#http'?: { method: string; uri: string; code?: number } } }> };
  const modelOps = Object.entries(model.shapes).filter(([, s]) => s.type === 'operation');
  assert.equal(modelOps.length, 69);
  assert.equal(operations.length, 73);
  const ours = new Map(operations.map((o) => [o.name, o]));
  for (const [id, s] of modelOps) {
    const name = id.slice(NS.length);
    const op = ours.get(name);
    assert.ok(op, `missing operation ${name}`);
    const http = (s.traits as { 'smithy.api#http': { method: string; uri: string; code?: number } })['smithy.api#http'];
    assert.equal(op.method, http.method, `${name} method`);
    assert.equal(op.uri, http.uri, `${name} uri`);
    assert.equal(op.code, http.code ?? 200, `${name} code`);
  }
  for (const name of SDK_ONLY) assert.ok(ours.has(name), `missing SDK operation ${name}`);
});

test('every input member has the model\'s location, requiredness and constraints', { skip }, () => {
  const model = JSON.parse(readFileSync(MODEL, 'utf8')) as { shapes: Record<string, SmithyShape & { input?: { target: string } }> };
  const shapes = model.shapes;
  let checked = 0;

  const compare = (path: string, target: string, traits: Record<string, unknown>, ours: Shape) => {
    checked++;
    const prim: Record<string, string> = { 'smithy.api#String': 'string', 'smithy.api#Integer': 'integer', 'smithy.api#Boolean': 'boolean' };
    const s = shapes[target];
    const type = prim[target] ?? s.type;
    assert.equal(ours.t, type, `${path}: type`);
    const all = { ...(s?.traits ?? {}), ...traits } as Record<string, { min?: number; max?: number } | string | { value: string }[]>;
    const bounds = (all['smithy.api#length'] ?? all['smithy.api#range']) as { min?: number; max?: number } | undefined;
    const o = ours as { min?: number; max?: number; pattern?: RegExp; enum?: readonly string[] };
    assert.equal(o.min, bounds?.min, `${path}: min`);
    assert.equal(o.max, bounds?.max, `${path}: max`);
    assert.equal(o.pattern?.source.replaceAll('\\/', '/'), all['smithy.api#pattern'] as string | undefined, `${path}: pattern`);
    const enumValues = (all['smithy.api#enum'] as { value: string }[] | undefined)?.map((e) => e.value);
    const name = target.slice(NS.length);
    assert.deepEqual(o.enum?.filter((v) => !(SDK_ONLY_ENUMS[name] ?? []).includes(v)), enumValues, `${path}: enum`);
    if (ours.t === 'list') compare(`${path}[]`, s.member!.target, {}, ours.member);
    if (ours.t === 'map') {
      compare(`${path}{key}`, s.key!.target, {}, ours.key);
      compare(`${path}{value}`, s.value!.target, {}, ours.value);
    }
    if (ours.t === 'structure' || ours.t === 'union') {
      const modelMembers = s.members ?? {};
      for (const m of Object.keys(ours.members)) {
        if (!(m in modelMembers)) assert.ok(SDK_ONLY_MEMBERS.has(`${name}.${m}`), `${path}.${m} is not in the model`);
      }
      for (const [m, mm] of Object.entries(modelMembers)) {
        const mine: Member | undefined = ours.members[m];
        assert.ok(mine, `${path}.${m} missing`);
        const t = mm.traits ?? {};
        const required = 'smithy.api#required' in t && !SDK_OPTIONAL.has(`${name}.${m}`);
        assert.equal(!!mine.required, required, `${path}.${m}: required`);
        assert.equal(mine.in === 'label', 'smithy.api#httpLabel' in t, `${path}.${m}: label`);
        assert.equal(mine.in === 'query' ? (mine.wire ?? m) : undefined, t['smithy.api#httpQuery'], `${path}.${m}: query`);
        assert.equal(!!mine.idempotencyToken, 'smithy.api#idempotencyToken' in t, `${path}.${m}: idempotency token`);
        const memberTraits = Object.fromEntries(Object.entries(t).filter(([k]) => ['smithy.api#length', 'smithy.api#range', 'smithy.api#pattern'].includes(k)));
        compare(`${path}.${m}`, mm.target, memberTraits, mine.shape);
      }
    }
  };

  for (const op of operations) {
    const modelOp = shapes[NS + op.name] as { input?: { target: string } } | undefined;
    if (!modelOp) continue;
    compare(op.name, modelOp.input!.target, {}, op.input);
  }
  assert.ok(checked > 400, `compared ${checked} shapes`);
});
