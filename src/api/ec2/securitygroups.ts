// Security groups: CreateSecurityGroup, DescribeSecurityGroups, DeleteSecurityGroup,
// AuthorizeSecurityGroupIngress and RevokeSecurityGroupIngress over EC2's query protocol. The
// data plane applies the rules to connections in dataplane/ingress.ts.
import type { Ctx } from '../lattice/context.ts';
import type { ServiceNetworkVpcAssociationRecord } from '../lattice/associations.ts';
import type { ResourceGatewayRecord } from '../lattice/resourcegateways.ts';
import { newId } from '../../core/ids.ts';
import { parseCidr } from '../../core/cidr.ts';
import { ec2Error, invalidValue, matchesFilters, missingParameter, page, parseFilters, type QueryParams, type Xml, type XmlBody } from './query.ts';
import { tagFilterValues, tagSetXml, tagSpecifications, type Tags } from './tags.ts';
import { defaultVpc, findVpc, type VpcRecord } from './vpcs.ts';

/**
 * One rule, as EC2's SecurityGroupRule: a protocol, its ports and exactly one source. `protocol`
 * is 'tcp', 'udp', 'icmp', 'icmpv6', '-1' (all) or another protocol number; `fromPort`/`toPort`
 * are the port range for tcp/udp and the ICMP type/code (-1: all) for icmp, absent otherwise.
 */
export interface SecurityGroupRule {
  id: string;
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  /** A referenced security group and its owner. */
  groupId?: string;
  userId?: string;
  prefixListId?: string;
  description?: string;
  tags?: Tags;
}

export interface SecurityGroupRecord {
  id: string;
  account: string;
  region: string;
  vpcId: string;
  groupName: string;
  description: string;
  /** The VPC's `default` group: created with the VPC, deleted with it, never on its own. */
  isDefault: boolean;
  ingress: SecurityGroupRule[];
  egress: SecurityGroupRule[];
  tags?: Tags;
  createdAt: string;
}

type RuleSpec = Omit<SecurityGroupRule, 'id'>;

export const SG = 'sg';
/** "Inbound or outbound rules per security group": 60, IPv4 and IPv6 counted apart (Amazon VPC quotas). */
export const MAX_RULES = 60;

export const groupNotFound = (what: string, vpc?: string) =>
  ec2Error('InvalidGroup.NotFound', `The security group '${what}' does not exist${vpc ? ` in default VPC '${vpc}'` : ''}`);

const ALL_IPV4 = '0.0.0.0/0';
const newRuleId = () => newId('sgr');
const arn = (g: SecurityGroupRecord, resource: string) => `arn:aws:ec2:${g.region}:${g.account}:${resource}`;

/**
 * A VPC's default group: inbound from its own members, outbound anywhere (VPC User Guide,
 * "Default security groups for your VPCs").
 */
export function defaultSecurityGroup(vpc: VpcRecord, createdAt: string): SecurityGroupRecord {
  const id = newId('sg');
  return {
    id, account: vpc.account, region: vpc.region, vpcId: vpc.id, groupName: 'default', description: 'default VPC security group', isDefault: true,
    ingress: [{ id: newRuleId(), protocol: '-1', groupId: id, userId: vpc.account }],
    egress: [{ id: newRuleId(), protocol: '-1', cidrIpv4: ALL_IPV4 }],
    createdAt,
  };
}

/** The caller's group by id; other accounts' groups are not found. */
export function findSecurityGroup(ctx: Ctx, id: string): SecurityGroupRecord | undefined {
  const g = ctx.get<SecurityGroupRecord>(SG, id);
  return g && g.account === ctx.account ? g : undefined;
}

function groupByName(ctx: Ctx, vpcId: string, name: string): SecurityGroupRecord | undefined {
  for (const g of ctx.owned<SecurityGroupRecord>(SG)) if (g.vpcId === vpcId && g.groupName.toLowerCase() === name.toLowerCase()) return g;
  return undefined;
}

/** The group a request names: GroupId, or GroupName in the default VPC ("[Default VPC]" in the API Reference). */
function targetGroup(ctx: Ctx, p: QueryParams): SecurityGroupRecord {
  const id = p.str('GroupId');
  if (id) return findSecurityGroup(ctx, id) ?? (() => { throw groupNotFound(id); })();
  const name = p.str('GroupName');
  if (!name) throw missingParameter('groupName or groupId');
  const vpc = defaultVpc(ctx);
  return (vpc && groupByName(ctx, vpc.id, name)) ?? (() => { throw groupNotFound(name, vpc?.id); })();
}

// ---------------------------------------------------------------------------------------------
// Rules from the request

const PROTOCOLS: Record<string, string> = { tcp: 'tcp', 6: 'tcp', udp: 'udp', 17: 'udp', icmp: 'icmp', 1: 'icmp', icmpv6: 'icmpv6', 58: 'icmpv6', '-1': '-1', all: '-1' };
/** CreateSecurityGroup and rule descriptions: "a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*", up to 255. */
const TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

function protocolOf(value: string | undefined): string {
  if (value === undefined || value === '') throw missingParameter('IpProtocol');
  const v = value.trim().toLowerCase();
  if (PROTOCOLS[v]) return PROTOCOLS[v];
  if (/^\d{1,3}$/.test(v) && Number(v) <= 255) return String(Number(v));
  throw invalidValue(`Invalid value '${value}' for IP protocol. Unknown protocol.`);
}

/**
 * Ports for a protocol. "If you specify -1 or a protocol other than tcp, udp, or icmp, traffic on
 * all ports is allowed, regardless of any ports you specify"; all ICMP types need all codes.
 */
function portsOf(protocol: string, from: number | undefined, to: number | undefined): { fromPort?: number; toPort?: number } {
  if (protocol === 'tcp' || protocol === 'udp') {
    if (from === undefined || to === undefined) throw invalidValue(`Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange`);
    if (from < 0 || to > 65535 || from > to) throw invalidValue(`Invalid value '${from}-${to}' for portRange. Ports must be 0-65535 with fromPort <= toPort.`);
    return { fromPort: from, toPort: to };
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    if (from === undefined || to === undefined) throw invalidValue(`Invalid value 'Must specify both the ICMP type and code.' for icmp`);
    if (from < -1 || from > 255 || to < -1 || to > 255) throw invalidValue(`Invalid value '${from}/${to}' for ICMP type/code. Each must be -1 to 255.`);
    if (from === -1 && to !== -1) throw invalidValue(`Invalid value '${to}' for ICMP code: all ICMP types (-1) need all codes (-1).`);
    return { fromPort: from, toPort: to };
  }
  return {};
}

function descriptionOf(q: QueryParams): { description?: string } {
  const d = q.str('Description');
  if (d === undefined) return {};
  if (!TEXT.test(d)) throw invalidValue('Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*');
  return { description: d };
}

function ipv4Cidr(text: string): string {
  const net = parseCidr(text);
  if (!net || net.family !== 4) throw invalidValue(`CIDR block ${text} is malformed`);
  // EC2 keeps the network address of a block given with host bits set (10.0.0.1/24 -> 10.0.0.0/24).
  const addr = net.len === 0 ? 0n : (net.addr >> BigInt(32 - net.len)) << BigInt(32 - net.len);
  return `${[24n, 16n, 8n, 0n].map((s) => (addr >> s) & 255n).join('.')}/${net.len}`;
}

/** A referenced group: the caller's, in the same VPC (no peering in Trellis). */
function referencedGroup(ctx: Ctx, sg: SecurityGroupRecord, q: QueryParams): SecurityGroupRecord {
  const id = q.str('GroupId');
  const name = q.str('GroupName');
  const user = q.str('UserId');
  if (!id && !name) throw missingParameter('groupId or groupName of the referenced group');
  const ref = id ? findSecurityGroup(ctx, id) : groupByName(ctx, sg.vpcId, name!);
  if (!ref || (user !== undefined && user !== ref.account)) throw groupNotFound(id ?? name!);
  if (ref.vpcId !== sg.vpcId) throw ec2Error('InvalidGroup.NotFound', 'You have specified two resources that belong to different networks.');
  return ref;
}

/** The rules a request describes: IpPermissions.N, or the older top-level parameters. */
function ruleSpecs(ctx: Ctx, sg: SecurityGroupRecord, p: QueryParams): RuleSpec[] {
  const legacy = ['IpProtocol', 'FromPort', 'ToPort', 'CidrIp', 'SourceSecurityGroupName', 'SourceSecurityGroupOwnerId'].filter((n) => p.has(n));
  const perms = p.list('IpPermissions');
  if (perms.length && legacy.length) throw ec2Error('InvalidParameterCombination', `The parameter IpPermissions cannot be used with ${legacy.join(', ')}.`);
  const out: RuleSpec[] = [];
  for (const q of perms) {
    const protocol = protocolOf(q.str('IpProtocol'));
    const base = { protocol, ...portsOf(protocol, q.int('FromPort'), q.int('ToPort')) };
    for (const r of q.list('IpRanges')) out.push({ ...base, cidrIpv4: ipv4Cidr(r.required('CidrIp')), ...descriptionOf(r) });
    for (const r of q.list('Ipv6Ranges')) {
      const net = parseCidr(r.required('CidrIpv6'));
      if (!net || net.family !== 6) throw invalidValue(`CIDR block ${r.str('CidrIpv6')} is malformed`);
      out.push({ ...base, cidrIpv6: r.str('CidrIpv6')!.toLowerCase(), ...descriptionOf(r) });
    }
    for (const r of q.list('Groups')) {
      const ref = referencedGroup(ctx, sg, r);
      out.push({ ...base, groupId: ref.id, userId: ref.account, ...descriptionOf(r) });
    }
    for (const r of q.list('PrefixListIds')) {
      throw ec2Error('InvalidPrefixListID.NotFound', `The prefix list ID '${r.str('PrefixListId') ?? ''}' does not exist (Trellis has no prefix lists)`);
    }
    if (!q.has('IpRanges') && !q.has('Ipv6Ranges') && !q.has('Groups') && !q.has('PrefixListIds')) {
      throw missingParameter('IpRanges, Ipv6Ranges, UserIdGroupPairs or PrefixListIds');
    }
  }
  if (legacy.length) {
    const cidr = p.str('CidrIp');
    const source = p.str('SourceSecurityGroupName');
    if (cidr && source) throw ec2Error('InvalidParameterCombination', 'The parameter CidrIp cannot be used with SourceSecurityGroupName.');
    if (cidr) {
      const protocol = protocolOf(p.str('IpProtocol'));
      out.push({ protocol, ...portsOf(protocol, p.int('FromPort'), p.int('ToPort')), cidrIpv4: ipv4Cidr(cidr) });
    } else if (source) {
      // "[Default VPC] … The rule grants full ICMP, UDP, and TCP access."
      const vpc = defaultVpc(ctx);
      const ref = vpc && sg.vpcId === vpc.id ? groupByName(ctx, vpc.id, source) : undefined;
      if (!ref) throw groupNotFound(source, vpc?.id);
      for (const [protocol, fromPort, toPort] of [['tcp', 0, 65535], ['udp', 0, 65535], ['icmp', -1, -1]] as const) {
        out.push({ protocol, fromPort, toPort, groupId: ref.id, userId: ref.account });
      }
    } else {
      throw missingParameter('CidrIp or SourceSecurityGroupName');
    }
  }
  return out;
}

/** A rule's identity: protocol, ports and source; the description does not count. */
const ruleKey = (r: RuleSpec) =>
  [r.protocol, r.fromPort ?? '', r.toPort ?? '', r.cidrIpv4 ?? '', r.cidrIpv6 ?? '', r.groupId ?? '', r.prefixListId ?? ''].join('|');

function ruleWords(r: RuleSpec): string {
  const peer = r.cidrIpv4 ?? r.cidrIpv6 ?? r.groupId ?? r.prefixListId;
  const ports = r.fromPort === undefined ? '' : `, from port: ${r.fromPort}, to port: ${r.toPort}`;
  return `peer: ${peer}, ${r.protocol === '-1' ? 'ALL' : r.protocol.toUpperCase()}${ports}, ALLOW`;
}

// ---------------------------------------------------------------------------------------------
// Output

/** IpPermissions: rules with the same protocol and ports are one permission with several sources. */
function permissionsXml(rules: readonly RuleSpec[]): Xml {
  type Perm = { ipProtocol: string; fromPort?: number; toPort?: number; groups: Xml[]; ipRanges: Xml[]; ipv6Ranges: Xml[]; prefixListIds: Xml[] };
  const perms = new Map<string, Perm>();
  for (const r of rules) {
    const key = `${r.protocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}`;
    let p = perms.get(key);
    if (!p) perms.set(key, p = { ipProtocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, groups: [], ipRanges: [], ipv6Ranges: [], prefixListIds: [] });
    if (r.cidrIpv4) p.ipRanges.push({ cidrIp: r.cidrIpv4, description: r.description });
    if (r.cidrIpv6) p.ipv6Ranges.push({ cidrIpv6: r.cidrIpv6, description: r.description });
    if (r.groupId) p.groups.push({ userId: r.userId, groupId: r.groupId, description: r.description });
    if (r.prefixListId) p.prefixListIds.push({ prefixListId: r.prefixListId, description: r.description });
  }
  return [...perms.values()];
}

function ruleXml(g: SecurityGroupRecord, r: SecurityGroupRule, isEgress: boolean): Xml {
  return {
    securityGroupRuleId: r.id, groupId: g.id, groupOwnerId: g.account, isEgress, ipProtocol: r.protocol,
    fromPort: r.fromPort ?? -1, toPort: r.toPort ?? -1, cidrIpv4: r.cidrIpv4, cidrIpv6: r.cidrIpv6, prefixListId: r.prefixListId,
    referencedGroupInfo: r.groupId ? { groupId: r.groupId, userId: r.userId } : undefined,
    description: r.description, tagSet: tagSetXml(r.tags), securityGroupRuleArn: arn(g, `security-group-rule/${r.id}`),
  };
}

const groupXml = (g: SecurityGroupRecord): Xml => ({
  groupId: g.id, ipPermissionsEgress: permissionsXml(g.egress), tagSet: tagSetXml(g.tags), vpcId: g.vpcId,
  securityGroupArn: arn(g, `security-group/${g.id}`), ownerId: g.account, groupName: g.groupName, groupDescription: g.description,
  ipPermissions: permissionsXml(g.ingress),
});

function groupFilterValues(ctx: Ctx, g: SecurityGroupRecord, filter: string): string[] | undefined {
  switch (filter) {
    case 'description': return [g.description];
    case 'group-id': return [g.id];
    case 'group-name': return [g.groupName];
    case 'vpc-id': return [g.vpcId];
    case 'owner-id': return [g.account];
  }
  const egress = filter.startsWith('egress.ip-permission.');
  if (!egress && !filter.startsWith('ip-permission.')) return tagFilterValues(g.tags, filter);
  const rules = egress ? g.egress : g.ingress;
  const pick = (f: (r: SecurityGroupRule) => string | number | undefined) => rules.map(f).filter((v) => v !== undefined).map(String);
  switch (filter.slice(filter.indexOf('ip-permission.') + 'ip-permission.'.length)) {
    case 'cidr': return pick((r) => r.cidrIpv4);
    case 'ipv6-cidr': return pick((r) => r.cidrIpv6);
    case 'from-port': return pick((r) => r.fromPort);
    case 'to-port': return pick((r) => r.toPort);
    case 'protocol': return pick((r) => r.protocol);
    case 'group-id': return pick((r) => r.groupId);
    case 'group-name': return pick((r) => (r.groupId ? ctx.get<SecurityGroupRecord>(SG, r.groupId)?.groupName : undefined));
    case 'user-id': return pick((r) => r.userId);
    case 'prefix-list-id': return pick((r) => r.prefixListId);
    default: return undefined;
  }
}

// ---------------------------------------------------------------------------------------------

export const securityGroupHandlers = {
  CreateSecurityGroup(ctx: Ctx, p: QueryParams): XmlBody {
    const name = p.required('GroupName');
    const description = p.required('GroupDescription');
    if (!TEXT.test(name)) throw invalidValue(`Value (${name}) for parameter GroupName is invalid. Names are up to 255 characters from: a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`);
    if (!TEXT.test(description)) throw invalidValue(`Value (${description}) for parameter GroupDescription is invalid. Descriptions are up to 255 characters from: a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`);
    if (name.toLowerCase().startsWith('sg-')) throw invalidValue('Group names may not be in the format sg-*.');
    const vpcId = p.str('VpcId');
    const vpc = vpcId ? findVpc(ctx, vpcId) : defaultVpc(ctx);
    if (!vpc) throw ec2Error('VPCIdNotSpecified', 'No default VPC for this user');
    // "Names are case-insensitive and must be unique within the VPC."
    if (groupByName(ctx, vpc.id, name)) throw ec2Error('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpc.id}'`);
    if (name.toLowerCase() === 'default') throw ec2Error('InvalidGroup.Reserved', `The security group 'default' is reserved`);
    const tags = tagSpecifications(p, 'security-group');
    const g: SecurityGroupRecord = {
      id: newId('sg'), account: ctx.account, region: ctx.region, vpcId: vpc.id, groupName: name, description, isDefault: false,
      ingress: [], egress: [{ id: newRuleId(), protocol: '-1', cidrIpv4: ALL_IPV4 }], ...(tags ? { tags } : {}), createdAt: ctx.timestamp,
    };
    ctx.put(SG, g.id, g);
    return { groupId: g.id, tagSet: tagSetXml(g.tags), securityGroupArn: arn(g, `security-group/${g.id}`) };
  },

  DescribeSecurityGroups(ctx: Ctx, p: QueryParams): XmlBody {
    const ids = p.strings('GroupId');
    const names = p.strings('GroupName');
    const filters = parseFilters(p);
    const chosen = new Set<string>();
    for (const id of ids) chosen.add((findSecurityGroup(ctx, id) ?? (() => { throw groupNotFound(id); })()).id);
    if (names.length) {
      const vpc = defaultVpc(ctx);
      for (const n of names) chosen.add(((vpc && groupByName(ctx, vpc.id, n)) ?? (() => { throw groupNotFound(n, vpc?.id); })()).id);
    }
    const groups = [...ctx.owned<SecurityGroupRecord>(SG)].filter((g) =>
      (chosen.size === 0 || chosen.has(g.id)) && matchesFilters(filters, (f) => groupFilterValues(ctx, g, f)));
    const { items, nextToken } = page(groups, p);
    return { securityGroupInfo: items.map(groupXml), nextToken };
  },

  /** Not the default group; not while another group's rule or a Lattice association or gateway uses it. */
  DeleteSecurityGroup(ctx: Ctx, p: QueryParams): XmlBody {
    const g = targetGroup(ctx, p);
    if (g.isDefault) throw ec2Error('CannotDelete', `the specified group: "${g.id}" name: "default" cannot be deleted by a user`);
    const referenced = [...ctx.all<SecurityGroupRecord>(SG)].some((o) => o.id !== g.id && [...o.ingress, ...o.egress].some((r) => r.groupId === g.id));
    const associated = [...ctx.all<ServiceNetworkVpcAssociationRecord>('snva')].some((a) => a.securityGroupIds?.includes(g.id))
      || [...ctx.all<ResourceGatewayRecord>('rgw')].some((r) => r.securityGroupIds?.includes(g.id));
    if (referenced || associated) throw ec2Error('DependencyViolation', `resource ${g.id} has a dependent object`);
    ctx.del(SG, g.id);
    return { return: true, groupId: g.id };
  },

  AuthorizeSecurityGroupIngress(ctx: Ctx, p: QueryParams): XmlBody {
    const g = targetGroup(ctx, p);
    const specs = ruleSpecs(ctx, g, p);
    if (specs.length === 0) throw missingParameter('IpPermissions');
    const seen = new Set(g.ingress.map(ruleKey));
    for (const s of specs) {
      if (seen.has(ruleKey(s))) throw ec2Error('InvalidPermission.Duplicate', `the specified rule "${ruleWords(s)}" already exists`);
      seen.add(ruleKey(s));
    }
    const tags = tagSpecifications(p, 'security-group-rule');
    const added = specs.map((s): SecurityGroupRule => ({ id: newRuleId(), ...s, ...(tags ? { tags } : {}) }));
    const ingress = [...g.ingress, ...added];
    const v6 = ingress.filter((r) => r.cidrIpv6).length;
    if (v6 > MAX_RULES || ingress.length - v6 > MAX_RULES) throw ec2Error('RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.');
    ctx.put(SG, g.id, { ...g, ingress });
    return { return: true, securityGroupRuleSet: added.map((r) => ruleXml(g, r, false)) };
  },

  /**
   * Rules go by id or by their values. Values that match no rule are an error
   * (InvalidPermission.NotFound, nothing revoked) except in a default VPC, where the answer lists
   * them as unknown (API Reference, RevokeSecurityGroupIngress).
   */
  RevokeSecurityGroupIngress(ctx: Ctx, p: QueryParams): XmlBody {
    const g = targetGroup(ctx, p);
    const ruleIds = p.strings('SecurityGroupRuleId');
    const revoked: SecurityGroupRule[] = [];
    const unknown: RuleSpec[] = [];
    if (ruleIds.length) {
      if (p.has('IpPermissions') || p.has('CidrIp') || p.has('IpProtocol')) throw ec2Error('InvalidParameterCombination', 'SecurityGroupRuleIds cannot be used with IpPermissions or the rule parameters.');
      for (const id of ruleIds) {
        const r = g.ingress.find((x) => x.id === id);
        if (!r) throw ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
        revoked.push(r);
      }
    } else {
      for (const s of ruleSpecs(ctx, g, p)) {
        const r = g.ingress.find((x) => ruleKey(x) === ruleKey(s));
        if (r) revoked.push(r);
        else unknown.push(s);
      }
      if (unknown.length && !ctx.get<VpcRecord>('vpc', g.vpcId)?.isDefault) {
        throw ec2Error('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
      }
    }
    const gone = new Set(revoked.map((r) => r.id));
    if (gone.size) ctx.put(SG, g.id, { ...g, ingress: g.ingress.filter((r) => !gone.has(r.id)) });
    return {
      return: true,
      unknownIpPermissionSet: unknown.length ? permissionsXml(unknown) : undefined,
      revokedSecurityGroupRuleSet: revoked.map((r) => ({
        securityGroupRuleId: r.id, groupId: g.id, isEgress: false, ipProtocol: r.protocol, fromPort: r.fromPort ?? -1, toPort: r.toPort ?? -1,
        cidrIpv4: r.cidrIpv4, cidrIpv6: r.cidrIpv6, prefixListId: r.prefixListId, referencedGroupId: r.groupId, description: r.description,
      })),
    };
  },
};
