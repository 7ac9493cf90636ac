// Which VPC a client is in: the VPC whose CIDR holds its source address (most specific wins).
import { isIPv4 } from 'node:net';
import { contains } from '../core/cidr.ts';
import type { VpcPlan } from '../compile/snapshot.ts';

/** IPv4 clients of a dual-stack socket arrive as ::ffff:a.b.c.d; VPC CIDRs name them as a.b.c.d. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

// The answer for each client address seen, per Snapshot VPC list (Snapshots are immutable, so an
// answer stays right for as long as its list is used): a client sends many requests, and turning
// its address into a number and testing every CIDR cost ~0.7 µs per request. Bounded: a list's
// answers are dropped past 10,000 addresses.
const answers = new WeakMap<readonly VpcPlan[], Map<string, VpcPlan | null>>();
const MAX_ANSWERS = 10_000;

/** `vpcs` is sorted most specific first (compile does that). */
export function sourceVpc(vpcs: readonly VpcPlan[], address: string): VpcPlan | undefined {
  let known = answers.get(vpcs);
  if (!known) answers.set(vpcs, known = new Map());
  let vpc = known.get(address);
  if (vpc === undefined) {
    if (known.size >= MAX_ANSWERS) known.clear();
    const ip = plainAddress(address);
    vpc = vpcs.find((v) => contains(v.net, ip)) ?? null;
    known.set(address, vpc);
  }
  return vpc ?? undefined;
}
