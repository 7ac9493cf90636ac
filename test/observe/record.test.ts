// Access log records: Lattice's field names, "-" for what does not apply, its time and number formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResourceAccessLog, buildServiceAccessLog, ipPort, isoSeconds, NONE, serviceAccessLogLine, type RequestSummary } from '../../src/observe/record.ts';

// The fields of a record Lattice delivered (aws-samples, 2024), which every record must carry.
const LATTICE_FIELDS = [
  'serviceNetworkArn', 'resolvedUser', 'listenerType', 'authDeniedReason', 'targetGroupArn', 'sourceVpcArn', 'destinationVpcId',
  'sourceIpPort', 'listenerId', 'targetIpPort', 'failureReason', 'serviceArn', 'sourceVpcId', 'startTime', 'requestMethod',
  'requestPath', 'protocol', 'responseCode', 'bytesReceived', 'bytesSent', 'duration', 'userAgent', 'hostHeader',
  'serverNameIndication', 'requestToTargetDuration', 'responseFromTargetDuration', 'sslCipher', 'tlsVersion', 'callerPrincipal',
  'callerPrincipalOrgID', 'callerX509IssuerOU', 'callerX509SubjectCN', 'callerX509SANNameCN', 'callerX509SANDNS', 'callerX509SANURI',
];
// And the issue's: the request id returned as x-amzn-requestid, the trace id, the status details, gRPC status.
const ISSUE_FIELDS = ['requestId', 'traceId', 'responseCodeDetails', 'grpcResponseCode'];

const SVC = 'arn:aws:vpc-lattice:us-east-1:111122223333:service/svc-0123456789abcdef0';
const SN = 'arn:aws:vpc-lattice:us-east-1:111122223333:servicenetwork/sn-0123456789abcdef0';
const TG = 'arn:aws:vpc-lattice:us-east-1:111122223333:targetgroup/tg-0123456789abcdef0';
const VPC = 'arn:aws:ec2:us-east-1:111122223333:vpc/vpc-0123456789abcdef0';

test('a forwarded HTTPS request: every field, with Lattice\'s names and formats', () => {
  const start = Date.UTC(2024, 7, 4, 11, 28, 40, 731);
  const rec = buildServiceAccessLog({
    startMs: start, endMs: start + 23.4, method: 'GET', path: '/orders?id=7', protocol: 'HTTP/2', status: 200,
    responseCodeDetails: 'via_upstream', requestToTargetMs: 0.6, responseFromTargetMs: 21.2, bytesReceived: 135, bytesSent: 1247,
    userAgent: 'curl/8.5.0', host: 'orders.example', requestId: '4b2f0e6c-1c1e-4d6f-9a0b-000000000001',
    traceId: 'Root=1-67891233-abcdef012345678912345678', sourceIp: '10.0.183.56', sourcePort: 57086,
    sourceVpcArn: VPC, sourceVpcId: 'vpc-0123456789abcdef0', serviceNetworkArn: SN, serviceArn: SVC, listenerId: 'listener-0123456789abcdef0',
    listenerType: 'HTTPS', targetGroupArn: TG, targetAddress: '172.31.9.231', targetPort: 80, destinationVpcId: 'vpc-05e207e48696b69b6',
    principal: 'arn:aws:sts::111122223333:assumed-role/app/i-0abc', principalOrgId: 'o-abc123',
    x509: { issuerOU: 'ca', subjectCN: 'app', sanNameCN: 'app', sanDNS: 'app.example', sanURI: 'spiffe://x/app' },
    tlsVersion: 'TLSv1.3', tlsCipher: 'TLS_AES_128_GCM_SHA256', sni: 'orders.example', grpcStatus: 0,
  });
  assert.deepEqual(new Set(Object.keys(rec)), new Set([...LATTICE_FIELDS, ...ISSUE_FIELDS]));
  assert.equal(rec.startTime, '2024-08-04T11:28:40Z');
  assert.equal(rec.duration, 23);
  assert.equal(rec.requestToTargetDuration, 1);
  assert.equal(rec.responseFromTargetDuration, 21);
  assert.equal(rec.responseCode, 200);
  assert.equal(rec.requestPath, '/orders?id=7');
  assert.equal(rec.sourceIpPort, '10.0.183.56:57086');
  assert.equal(rec.targetIpPort, '172.31.9.231:80');
  assert.equal(rec.resolvedUser, rec.callerPrincipal);
  assert.equal(rec.callerX509SANURI, 'spiffe://x/app');
  assert.equal(rec.grpcResponseCode, 0);
  assert.equal(rec.sslCipher, 'TLS_AES_128_GCM_SHA256');
  // A JSON line, as the destinations get it.
  const line = JSON.stringify(rec);
  assert.ok(!line.includes('\n'));
  assert.deepEqual(JSON.parse(line), rec);
});

test('a request denied by auth: "-" where nothing applies, target durations 0', () => {
  const rec = buildServiceAccessLog({
    startMs: 0, endMs: 3, method: 'POST', path: '/', protocol: 'HTTP/1.1', status: 403, responseCodeDetails: 'auth_denied',
    failureReason: 'ClientAccessDenied', authDeniedReason: 'Service', bytesReceived: 80, bytesSent: 170, requestId: 'r1',
    sourceIp: '127.0.0.1', sourcePort: 5000, serviceArn: SVC, serviceNetworkArn: SN,
  });
  assert.equal(rec.targetIpPort, NONE);
  assert.equal(rec.targetGroupArn, NONE);
  assert.equal(rec.callerPrincipal, NONE);
  assert.equal(rec.resolvedUser, NONE);
  assert.equal(rec.traceId, NONE);
  assert.equal(rec.userAgent, NONE);
  assert.equal(rec.tlsVersion, NONE);
  assert.equal(rec.serverNameIndication, NONE);
  assert.equal(rec.grpcResponseCode, NONE);
  assert.equal(rec.callerX509SubjectCN, NONE);
  assert.equal(rec.requestToTargetDuration, 0);
  assert.equal(rec.responseFromTargetDuration, 0);
  assert.equal(rec.authDeniedReason, 'Service');
  assert.equal(rec.failureReason, 'ClientAccessDenied');
  assert.equal(rec.startTime, '1970-01-01T00:00:00Z');
  // Every string field is a value or "-", never empty, null or undefined.
  for (const [k, v] of Object.entries(rec)) assert.ok(typeof v === 'number' || (typeof v === 'string' && v !== ''), k);
});

test('a TLS passthrough connection is a record without HTTP fields', () => {
  const rec = buildServiceAccessLog({
    startMs: 1000, endMs: 61_000, protocol: 'TCP', status: 0, bytesReceived: 5000, bytesSent: 90_000, requestId: 'c1',
    sourceIp: '::1', sourcePort: 443, serviceArn: SVC, listenerType: 'TLS_PASSTHROUGH', sni: 'db.example', targetAddress: 'fd00::5', targetPort: 5432,
  });
  assert.equal(rec.requestMethod, NONE);
  assert.equal(rec.requestPath, NONE);
  assert.equal(rec.protocol, 'TCP');
  assert.equal(rec.duration, 60_000);
  assert.equal(rec.sourceIpPort, '[::1]:443');
  assert.equal(rec.targetIpPort, '[fd00::5]:5432');
  assert.equal(rec.serverNameIndication, 'db.example');
});

test('keys come in one fixed order (one hidden class, stable JSON)', () => {
  const a = buildServiceAccessLog({ startMs: 0, endMs: 0, protocol: 'HTTP/1.1', status: 200, bytesReceived: 0, bytesSent: 0, requestId: 'a', sourceIp: '1.2.3.4', sourcePort: 1, serviceArn: SVC });
  const b = buildServiceAccessLog({ startMs: 5, endMs: 9, method: 'GET', path: '/', protocol: 'HTTP/2', status: 500, bytesReceived: 1, bytesSent: 2, requestId: 'b', sourceIp: '1.2.3.4', sourcePort: 2, serviceArn: SVC, grpcStatus: 14 });
  assert.deepEqual(Object.keys(a), Object.keys(b));
  assert.equal(Object.keys(a)[0], 'startTime');
});

test('the JSON line writer writes exactly what JSON.stringify writes of the record', () => {
  // Values that need JSON escapes, and ones that do not: quotes, backslashes, control characters,
  // DEL, Latin-1 and other non-ASCII text, an emoji (a surrogate pair), lone surrogates.
  const odd = ['a"b', 'back\\slash', 'tab\there', 'nl\n', '\u0000', '\u001f', '\u007f', 'caf\u00e9', '\u4e2d\u6587', '\ud83d\ude00', '\ud800', 'x\udfff', '</script>', ''];
  const values = (i: number) => odd[i % odd.length];
  const full = (i: number): RequestSummary => ({
    startMs: 1_700_000_000_000 + i * 777, endMs: 1_700_000_000_000 + i * 777 + i * 0.37, method: values(i), path: `/p/${values(i + 1)}?q=${values(i + 2)}`,
    protocol: i % 2 ? 'HTTP/2' : 'HTTP/1.1', status: 200 + i, responseCodeDetails: values(i + 3), failureReason: values(i + 4),
    requestToTargetMs: i * 0.5, responseFromTargetMs: i % 3 ? i * 1.5 : undefined, bytesReceived: i * 10, bytesSent: i * 100,
    userAgent: values(i + 5), host: values(i + 6), requestId: `r-${values(i + 7)}`, traceId: values(i + 8), sourceIp: i % 2 ? '10.0.0.1' : 'fd00::1', sourcePort: i,
    sourceVpcArn: VPC, sourceVpcId: values(i + 9), serviceNetworkArn: SN, serviceArn: SVC + values(i), listenerId: values(i + 10), listenerType: 'HTTP',
    targetGroupArn: TG, targetAddress: i % 4 ? '127.0.0.1' : undefined, targetPort: 80, destinationVpcId: values(i + 11), principal: values(i + 12),
    principalOrgId: values(i + 13), x509: i % 2 ? { issuerOU: values(i), subjectCN: values(i + 1), sanNameCN: values(i + 2), sanDNS: values(i + 3), sanURI: values(i + 4) } : undefined,
    authDeniedReason: values(i + 14), tlsVersion: values(i + 1), tlsCipher: values(i + 2), sni: values(i + 3), grpcStatus: i % 5 === 0 ? undefined : i % 7 === 0 ? NaN : i,
  });
  const sparse: RequestSummary = { startMs: 0, endMs: -1, protocol: 'TCP', status: 0, bytesReceived: 0, bytesSent: 0, requestId: '', sourceIp: '', sourcePort: 0, serviceArn: SVC, requestToTargetMs: Infinity };
  for (const s of [...Array.from({ length: 60 }, (_, i) => full(i)), sparse]) {
    const line = serviceAccessLogLine(s);
    assert.equal(line, JSON.stringify(buildServiceAccessLog(s)));
    assert.ok(!line.includes('\n'));
    JSON.parse(line);
  }
});

test('startTime has second precision in UTC; the cached stamp follows the clock', () => {
  assert.equal(isoSeconds(Date.UTC(2025, 11, 31, 23, 59, 59, 999)), '2025-12-31T23:59:59Z');
  assert.equal(isoSeconds(Date.UTC(2026, 0, 1, 0, 0, 0, 1)), '2026-01-01T00:00:00Z');
  assert.equal(isoSeconds(Date.UTC(2025, 11, 31, 23, 59, 59, 0)), '2025-12-31T23:59:59Z');
  assert.equal(ipPort(undefined, 80), NONE);
  assert.equal(ipPort('10.0.0.1', 8080), '10.0.0.1:8080');
});

test('a resource connection record', () => {
  const rec = buildResourceAccessLog({
    startMs: Date.UTC(2024, 11, 2, 10, 10, 10, 123), serviceNetworkArn: SN, serviceNetworkResourceAssociationId: 'snra-0123456789abcdef0',
    sourceVpcArn: VPC, resourceConfigurationArn: 'arn:aws:vpc-lattice:us-east-1:111122223333:resourceconfiguration/rcfg-0123456789abcdef0',
    sourceIp: '172.31.32.233', sourcePort: 11111, destinationIp: '172.31.0.6', destinationPort: 80, resourceIp: '10.0.0.6', resourcePort: 80,
  });
  assert.deepEqual(Object.keys(rec), [
    'eventTimestamp', 'serviceNetworkArn', 'serviceNetworkResourceAssociationId', 'vpcEndpointId', 'sourceVpcArn',
    'resourceConfigurationArn', 'protocol', 'sourceIpPort', 'destinationIpPort', 'gatewayIpPort', 'resourceIpPort',
  ]);
  assert.equal(rec.eventTimestamp, '2024-12-02T10:10:10.123Z');
  assert.equal(rec.protocol, 'tcp');
  assert.equal(rec.vpcEndpointId, NONE);
  assert.equal(rec.gatewayIpPort, NONE);
  assert.equal(rec.resourceIpPort, '10.0.0.6:80');
});
