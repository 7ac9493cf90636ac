// Which VPC a client is in: the VPC whose CIDR holds its source address (most specific wins).
import { isIPv4 } from 'node:net';
import { contains } from '../core/cidr.ts';
import type { VpcPlan } from '../compile/snapshot.ts';

/** IPv4 clients of a dual-stack socket arrive as ::ffff:a.b.c.d; VPC CIDRs name them as a.b.c.d. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** `vpcs` is sorted most specific first (compile does that). */
export function sourceVpc(vpcs: readonly VpcPlan[], address: string): VpcPlan | undefined {
  const ip = plainAddress(address);
  for (const v of vpcs) if (contains(v.net, ip)) return v;
  return undefined;
}
