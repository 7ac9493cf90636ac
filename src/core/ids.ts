// Identifiers, ARNs and generated DNS names in Lattice's formats. No I/O.
import { randomBytes, createHash } from 'node:crypto';

/** `<prefix>-` and 17 lowercase hex digits, as Lattice's ids (hex also satisfies the [0-9a-z] patterns). */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

export function latticeArn(region: string, account: string, resource: string): string {
  return `arn:aws:vpc-lattice:${region}:${account}:${resource}`;
}

export interface ParsedArn { partition: string; service: string; region: string; account: string; resource: string }

export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { partition: parts[1], service: parts[2], region: parts[3], account: parts[4], resource: parts.slice(5).join(':') };
}

/** The last id-looking segment of an identifier that is an id or an ARN (`…/svc-…` -> `svc-…`). */
export function idOf(identifier: string): string {
  if (!identifier.startsWith('arn:')) return identifier;
  const resource = parseArn(identifier)?.resource ?? '';
  return resource.slice(resource.lastIndexOf('/') + 1);
}

/** A per-account, per-region label, like the 7-hex-digit label in Lattice's generated names. */
export function dnsLabel(account: string, region: string): string {
  return createHash('sha256').update(`${account}/${region}`).digest('hex').slice(0, 7);
}

/** `<name>-<id digits>.<label>.vpc-lattice-svcs.<region>.on.aws`. */
export function serviceDnsName(name: string, id: string, account: string, region: string): string {
  return `${name}-${id.slice(id.indexOf('-') + 1)}.${dnsLabel(account, region)}.vpc-lattice-svcs.${region}.on.aws`;
}

/** A Route 53 style hosted zone id for the generated names of an account in a region. */
export function hostedZoneId(account: string, region: string): string {
  return 'Z' + createHash('sha256').update(`zone/${account}/${region}`).digest('hex').slice(0, 13).toUpperCase();
}
