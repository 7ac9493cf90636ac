// The source VPC of a client address, as the data plane and DNS look it up per request: most
// specific CIDR first, dual-stack IPv4 addresses as plain ones, and answers remembered per VPC
// list without ever going stale for another list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sourceVpc } from '../../src/dataplane/vpc.ts';
import { parseCidr } from '../../src/core/cidr.ts';
import type { VpcPlan } from '../../src/compile/snapshot.ts';

const vpc = (id: string, cidr: string): VpcPlan => ({ id, arn: `arn:aws:ec2:us-east-1:111122223333:vpc/${id}`, account: '111122223333', net: parseCidr(cidr)! });
const wide = vpc('vpc-wide', '127.0.0.0/16');
const narrow = vpc('vpc-narrow', '127.0.5.0/24');
const v6 = vpc('vpc-six', 'fd00::/8');

test('the most specific VPC holds the address; none holds an outside one', () => {
  const list = [narrow, wide, v6];
  for (let i = 0; i < 3; i++) { // asked again: the remembered answer is the same
    assert.equal(sourceVpc(list, '127.0.5.9'), narrow);
    assert.equal(sourceVpc(list, '127.0.0.1'), wide);
    assert.equal(sourceVpc(list, '::ffff:127.0.5.9'), narrow);
    assert.equal(sourceVpc(list, 'fd00::1'), v6);
    assert.equal(sourceVpc(list, '10.0.0.1'), undefined);
  }
});

test('a new VPC list (a new Snapshot) gets its own answers', () => {
  const before = [wide];
  assert.equal(sourceVpc(before, '127.0.5.9'), wide);
  const after = [narrow, wide];
  assert.equal(sourceVpc(after, '127.0.5.9'), narrow);
  assert.equal(sourceVpc(before, '127.0.5.9'), wide);
  assert.equal(sourceVpc([], '127.0.5.9'), undefined);
});

test('many distinct addresses: answers stay right past the remembered bound', () => {
  const list = [narrow, wide];
  for (let i = 0; i < 25_000; i++) {
    const a = `127.0.${(i >> 8) & 255}.${i & 255}`;
    assert.equal(sourceVpc(list, a), (i >> 8) % 256 === 5 ? narrow : wide, a);
  }
  assert.equal(sourceVpc(list, '127.0.5.1'), narrow);
});
