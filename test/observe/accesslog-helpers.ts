// Shared by the access log tests: records, subscriptions and waiting.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildServiceAccessLog, type ServiceAccessLogRecord } from '../../src/observe/record.ts';
import type { SubscriptionInput } from '../../src/observe/subscriptions.ts';

export const ACCOUNT = '111122223333';
export const svcArn = (id: string) => `arn:aws:vpc-lattice:us-east-1:${ACCOUNT}:service/${id}`;
export const snArn = (id: string) => `arn:aws:vpc-lattice:us-east-1:${ACCOUNT}:servicenetwork/${id}`;
export const rcfgArn = (id: string) => `arn:aws:vpc-lattice:us-east-1:${ACCOUNT}:resourceconfiguration/${id}`;
export const logGroup = (name: string) => `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${name}`;
export const bucket = (name: string) => `arn:aws:s3:::${name}`;
export const stream = (name: string) => `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/${name}`;

let n = 0;
/** A subscription record as the store keeps it. */
export function sub(resourceId: string, resourceArn: string, destinationArn: string, serviceNetworkLogType?: 'SERVICE' | 'RESOURCE'): SubscriptionInput {
  const id = `als-${String(++n).padStart(17, '0')}`;
  return {
    id, arn: `arn:aws:vpc-lattice:us-east-1:${ACCOUNT}:accesslogsubscription/${id}`, account: ACCOUNT, resourceId, resourceArn, destinationArn,
    ...(serviceNetworkLogType ? { serviceNetworkLogType } : {}),
  };
}

/** A request record whose requestId is `req-<i>`. */
export function record(i: number, over: Partial<Parameters<typeof buildServiceAccessLog>[0]> = {}): ServiceAccessLogRecord {
  const start = Date.UTC(2025, 0, 2, 3, 4, 5) + i;
  return buildServiceAccessLog({
    startMs: start, endMs: start + 12, method: 'GET', path: `/items/${i}?q=1`, protocol: 'HTTP/1.1', status: 200,
    responseCodeDetails: 'via_upstream', requestToTargetMs: 1, responseFromTargetMs: 10, bytesReceived: 120, bytesSent: 480,
    userAgent: 'test/1.0', host: 'svc.example', requestId: `req-${i}`, sourceIp: '127.0.0.1', sourcePort: 40000 + (i % 20000),
    serviceArn: svcArn('svc-0000000000000000a'), targetGroupArn: 'arn:aws:vpc-lattice:us-east-1:111122223333:targetgroup/tg-0000000000000000a',
    targetAddress: '127.0.0.1', targetPort: 8080, ...over,
  });
}

/** The same record as the JSON line the pipeline takes. */
export const line = (i: number, over: Partial<Parameters<typeof buildServiceAccessLog>[0]> = {}): string => JSON.stringify(record(i, over));

export const tempDir = () => mkdtempSync(join(tmpdir(), 'trellis-observe-'));

/** Polls until `check` is true; throws after timeoutMs with `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
