// The protocol layer on its own (router, validation, decoding) and over real HTTP: what a client
// gets for bad JSON, unknown routes, missing or bad signatures, and oversized bodies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ListServiceNetworksCommand, VPCLatticeServiceException } from '@aws-sdk/client-vpc-lattice';
import { Router } from '../../src/api/protocol/route.ts';
import { validate } from '../../src/api/protocol/validate.ts';
import { decodeInput } from '../../src/api/protocol/restjson.ts';
import { operations } from '../../src/api/lattice/operations.ts';
import * as S from '../../src/api/lattice/shapes.ts';
import { startHarness, signedFetch, type Harness } from '../helpers/trellis.ts';

test('router: literal segments win, labels decode, ARNs with %2F stay one segment', () => {
  const r = new Router(operations);
  const m = r.match('GET', '/services/svc-0123456789abcdef0/listeners');
  assert.ok(m && m !== 'method');
  assert.equal(m.op.name, 'ListListeners');
  assert.deepEqual(m.labels, { serviceIdentifier: 'svc-0123456789abcdef0' });
  const arn = 'arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-0123456789abcdef0';
  const t = r.match('GET', '/tags/' + encodeURIComponent(arn));
  assert.ok(t && t !== 'method');
  assert.equal(t.op.name, 'ListTagsForResource');
  assert.equal(t.labels.resourceArn, arn);
  assert.equal(r.match('PUT', '/services'), 'method');
  assert.equal(r.match('GET', '/nothing/here'), undefined);
  assert.equal(r.match('GET', '/services/%E0%A4%A'), undefined, 'bad percent-encoding does not match');
  const rules = r.match('PATCH', '/services/svc-0123456789abcdef0/listeners/listener-0123456789abcdef0/rules');
  assert.ok(rules && rules !== 'method' && rules.op.name === 'BatchUpdateRule');
});

test('validation: every constraint kind, with AWS-style messages and field paths', () => {
  const err = validate(S.CreateRuleRequest, {
    serviceIdentifier: 'svc-0123456789abcdef0', listenerIdentifier: 'listener-0123456789abcdef0',
    name: 'ab', priority: 0,
    match: { httpMatch: { headerMatches: [{ name: 'x', match: { exact: 'a', prefix: 'b' } }] } },
    action: { fixedResponse: { statusCode: 700 } },
  });
  assert.ok(err);
  assert.equal(err.code, 'ValidationException');
  const fields = (err.members.fieldList as { name: string; message: string }[]);
  const byName = Object.fromEntries(fields.map((f) => [f.name, f.message]));
  assert.match(byName.name, /length greater than or equal to 3/);
  assert.match(byName.priority, /value greater than or equal to 1/);
  assert.match(byName['action.fixedResponse.statusCode'], /less than or equal to 599/);
  assert.match(byName['match.httpMatch.headerMatches.1.member.match'], /exactly one of/);
  assert.match(err.message, /^4 validation errors detected: Value 'ab' at 'name' failed to satisfy constraint/);
  assert.equal(validate(S.CreateServiceNetworkRequest, { name: 'ok-name' }), undefined);
  const missing = validate(S.CreateServiceNetworkRequest, {});
  assert.match(missing!.message, /Value null at 'name' failed to satisfy constraint: Member must not be null/);
  const wrongType = validate(S.CreateServiceNetworkRequest, { name: 42, tags: { k: 1 } });
  assert.deepEqual((wrongType!.members.fieldList as { name: string }[]).map((f) => f.name), ['name', 'tags.k']);
  const enumErr = validate(S.CreateServiceNetworkRequest, { name: 'abc', authType: 'OPEN' });
  assert.match(enumErr!.message, /enum value set: \[NONE, AWS_IAM\]/);
});

test('decoding: labels, query lists, integers and booleans', () => {
  const input = decodeInput(S.UntagResourceRequest, { resourceArn: 'arn:x' }, new URLSearchParams('tagKeys=a&tagKeys=b'), Buffer.alloc(0));
  assert.deepEqual(input, { resourceArn: 'arn:x', tagKeys: ['a', 'b'] });
  assert.deepEqual(decodeInput(S.ListServicesRequest, {}, new URLSearchParams('maxResults=5'), Buffer.alloc(0)), { maxResults: 5 });
  assert.throws(() => decodeInput(S.ListServicesRequest, {}, new URLSearchParams('maxResults=five'), Buffer.alloc(0)), /must be an integer/);
  assert.throws(() => decodeInput(S.CreateServiceRequest, {}, new URLSearchParams(), Buffer.from('{"name":')), (e: { members: { reason: string } }) => e.members.reason === 'cannotParse');
  assert.throws(() => decodeInput(S.CreateServiceRequest, {}, new URLSearchParams(), Buffer.from('[1]')), /expected a JSON object/);
});

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test('over HTTP: malformed JSON is a ValidationException with reason cannotParse, and changes nothing', async () => {
  const before = (await h.client.send(new ListServiceNetworksCommand({}))).items!.length;
  const res = await signedFetch(h, 'POST', '/servicenetworks', '{"name": "half');
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('x-amzn-errortype'), 'ValidationException');
  assert.ok(res.headers.get('x-amzn-requestid'));
  const body = await res.json() as { reason: string; message: string };
  assert.equal(body.reason, 'cannotParse');
  assert.doesNotMatch(JSON.stringify(body), /at .*\.ts/, 'no stack trace');
  assert.equal((await h.client.send(new ListServiceNetworksCommand({}))).items!.length, before);
});

test('over HTTP: unknown routes are UnknownOperationException; oversized bodies are refused', async () => {
  const res = await signedFetch(h, 'GET', '/no-such-thing');
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('x-amzn-errortype'), 'UnknownOperationException');
  const big = await signedFetch(h, 'POST', '/servicenetworks', JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }));
  assert.equal(big.status, 400);
  assert.equal(big.headers.get('x-amzn-errortype'), 'ValidationException');
});

test('over HTTP: unsigned, unknown key and bad signature are 403 with AWS error codes', async () => {
  const unsigned = await fetch(new URL('/servicenetworks', h.trellis.api));
  assert.equal(unsigned.status, 403);
  assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
  assert.equal((await unsigned.json() as { message: string }).message, 'Missing Authentication Token');

  const stranger = h.clientFor('AKIAUNKNOWNKEY000000', 'whatever');
  await assert.rejects(stranger.send(new ListServiceNetworksCommand({})), (e: unknown) => {
    assert.ok(e instanceof VPCLatticeServiceException);
    assert.equal(e.name, 'UnrecognizedClientException');
    assert.equal(e.$metadata.httpStatusCode, 403);
    return true;
  });
  const wrongSecret = h.clientFor(h.trellis.accessKeyId, 'not-the-secret');
  await assert.rejects(wrongSecret.send(new ListServiceNetworksCommand({})), (e: unknown) => {
    assert.ok(e instanceof VPCLatticeServiceException);
    assert.equal(e.name, 'InvalidSignatureException');
    assert.match(e.message, /signature we calculated does not match/);
    return true;
  });
});

test('x-amzn-requestid on every response, health and metrics endpoints answer', async () => {
  const out = await h.client.send(new ListServiceNetworksCommand({}));
  assert.match(out.$metadata.requestId!, /^[0-9a-f-]{36}$/);
  const health = await fetch(new URL('/_trellis/health', h.trellis.api));
  assert.equal(health.status, 200);
  assert.equal((await health.json() as { status: string }).status, 'ok');
  const metrics = await (await fetch(new URL('/metrics', h.trellis.api))).text();
  assert.match(metrics, /trellis_api_requests_total\{operation="ListServiceNetworks",status="200"\} \d+/);
});
