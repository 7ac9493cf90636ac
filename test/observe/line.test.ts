// serviceAccessLogLine writes a record's JSON line without building it: it must be byte for byte
// JSON.stringify(buildServiceAccessLog(s)), whatever the strings hold and however routes repeat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServiceAccessLog, serviceAccessLogLine, type RequestSummary } from '../../src/observe/record.ts';

const same = (s: RequestSummary) => assert.equal(serviceAccessLogLine(s), JSON.stringify(buildServiceAccessLog(s)));
const arn = (kind: string, id: string) => `arn:aws:vpc-lattice:us-east-1:111122223333:${kind}/${id}`;

const base: RequestSummary = {
  startMs: Date.UTC(2026, 10, 26, 12, 0, 0, 999), endMs: Date.UTC(2026, 10, 26, 12, 0, 1, 400), method: 'GET', path: '/a?b=c', protocol: 'HTTP/1.1',
  status: 200, responseCodeDetails: 'via_upstream', requestToTargetMs: 0.4, responseFromTargetMs: 2.6, bytesReceived: 0, bytesSent: 2,
  userAgent: 'wrk', host: 'svc.example', requestId: '4b2f0e6c-1c1e-4d6f-9a0b-000000000001', sourceIp: '127.0.0.1', sourcePort: 40000,
  sourceVpcArn: 'arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1', sourceVpcId: 'vpc-1', serviceNetworkArn: arn('servicenetwork', 'sn-1'),
  serviceArn: arn('service', 'svc-1'), listenerId: 'listener-1', listenerType: 'HTTP', targetGroupArn: arn('targetgroup', 'tg-1'),
  targetAddress: '127.0.0.2', targetPort: 8080, destinationVpcId: 'vpc-1',
};

test('a plain forwarded request, a denied one, a TLS one with a caller certificate', () => {
  same(base);
  same({ ...base, status: 403, responseCodeDetails: 'auth_denied', failureReason: 'ClientAccessDenied', authDeniedReason: 'Service',
    requestToTargetMs: undefined, responseFromTargetMs: undefined, targetGroupArn: undefined, targetAddress: undefined, targetPort: undefined, destinationVpcId: undefined });
  same({ ...base, protocol: 'HTTP/2', tlsVersion: 'TLSv1.3', tlsCipher: 'TLS_AES_128_GCM_SHA256', sni: 'svc.example', principal: 'arn:aws:iam::111122223333:role/x',
    principalOrgId: 'o-1', x509: { issuerOU: 'ca', subjectCN: 'app', sanDNS: 'app.example' }, grpcStatus: 14 });
  same({ ...base, x509: {} });
});

test('strings JSON must escape, empty and missing values, odd numbers', () => {
  const odd = ['"', '\\', 'a"b\\c', '\n\r\t\u0000\u001f', '\u007f\u2028\u2029', 'é ü ß 日本', '😀', '\ud800', 'x\udc00y', '</script>', ' ', ''];
  for (const v of odd) {
    same({ ...base, path: v, userAgent: v, host: v, traceId: v, method: v, requestId: v, principal: v, sni: v, tlsCipher: v, responseCodeDetails: v });
    same({ ...base, serviceArn: v, listenerId: v, targetGroupArn: v, sourceVpcArn: v, destinationVpcId: v, x509: { sanURI: v, issuerOU: v } });
  }
  same({ ...base, method: undefined, path: undefined, userAgent: undefined, host: undefined, sourceVpcArn: undefined, sourceVpcId: undefined,
    serviceNetworkArn: undefined, listenerId: undefined, listenerType: undefined });
  same({ ...base, endMs: base.startMs - 5, requestToTargetMs: Number.NaN, responseFromTargetMs: -1, grpcStatus: Number.NaN });
  same({ ...base, grpcStatus: 0, bytesReceived: 1e21, bytesSent: 123456789, status: 0 });
  same({ ...base, sourceIp: '::1', sourcePort: 1, targetAddress: 'fd00::2', targetPort: 443 });
  same({ ...base, sourceIp: '', targetAddress: '' });
});

test('routes that share some fields, more routes than are remembered, and back again', () => {
  const variants: RequestSummary[] = [];
  for (let i = 0; i < 20; i++) {
    variants.push({ ...base, targetGroupArn: arn('targetgroup', `tg-${i}`) });
    variants.push({ ...base, listenerId: `listener-${i}` });
    variants.push({ ...base, sourceVpcArn: `arn:aws:ec2:us-east-1:111122223333:vpc/vpc-${i}`, sourceVpcId: `vpc-${i}` });
    variants.push({ ...base, serviceNetworkArn: i % 2 ? undefined : arn('servicenetwork', `sn-${i}`), listenerType: i % 3 ? 'HTTPS' : 'HTTP' });
    // Equal text in a different string object: the same line.
    variants.push({ ...base, serviceArn: `${arn('service', 'svc-')}${1}` });
  }
  for (let round = 0; round < 3; round++) for (const v of variants) same(v);
});
