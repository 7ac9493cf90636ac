// Security groups at the data plane: whether a group's ingress rules admit a connection.
import { isIPv4 } from 'node:net';
import { contains, parseCidr } from '../core/cidr.ts';
import type { SecurityGroupRecord, SecurityGroupRule } from '../api/ec2/securitygroups.ts';

/**
 * Does some ingress rule of some group admit a connection? A rule admits it when its protocol is
 * the connection's (or -1, all) with the port in its range (any port for -1), and its source is
 * a CIDR holding `sourceIp` or a group in `sourceGroupIds` (the groups the client belongs to).
 * ICMP and other protocols' rules never admit TCP or UDP; prefix lists do not exist in Trellis.
 * No groups admit nothing: whether "no groups" means "unrestricted" is the caller's decision.
 */
export function allowsIngress(groups: readonly SecurityGroupRecord[], sourceIp: string, protocol: 'tcp' | 'udp', port: number, sourceGroupIds: ReadonlySet<string>): boolean {
  const ip = sourceIp.startsWith('::ffff:') && isIPv4(sourceIp.slice(7)) ? sourceIp.slice(7) : sourceIp;
  for (const g of groups) {
    for (const r of g.ingress) {
      if (r.protocol !== '-1' && (r.protocol !== protocol || port < (r.fromPort ?? 0) || port > (r.toPort ?? 65535))) continue;
      if (r.groupId !== undefined ? sourceGroupIds.has(r.groupId) : sourceAllows(r, ip)) return true;
    }
  }
  return false;
}

function sourceAllows(r: SecurityGroupRule, ip: string): boolean {
  const cidr = r.cidrIpv4 ?? r.cidrIpv6;
  const net = cidr === undefined ? undefined : parseCidr(cidr);
  return net !== undefined && contains(net, ip);
}
