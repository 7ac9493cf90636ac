// Lattice's default service quotas (User Guide, "Quotas for Amazon VPC Lattice"), per account and
// Region. Adjustable ones can be changed with `trellis up --quota name=value`.

export const DEFAULT_QUOTAS = {
  serviceNetworksPerRegion: 50,
  servicesPerRegion: 2000,
  targetGroupsPerRegion: 500,
  listenersPerService: 2,
  rulesPerListener: 10,
  serviceAssociationsPerServiceNetwork: 500,
  vpcAssociationsPerServiceNetwork: 500,
  targetsPerTargetGroup: 1000,
  targetGroupsPerService: 10,
  resourceConfigurationsPerRegion: 2000,
  resourceConfigurationsPerServiceNetwork: 500,
  childResourceConfigurationsPerGroup: 60,
  resourceGatewaysPerVpc: 500,
  domainVerificationsPerRegion: 5,
};

export type QuotaName = keyof typeof DEFAULT_QUOTAS;
export type Quotas = Record<QuotaName, number>;

/**
 * Service Quotas codes. The ones the User Guide links to are AWS's own (L-D64E952E, L-9BC96FEF,
 * L-73D0F278); for the others we found no published code and use the quota's name.
 */
export const QUOTA_CODES: Record<QuotaName, string> = {
  serviceNetworksPerRegion: 'ServiceNetworksPerRegion',
  servicesPerRegion: 'ServicesPerRegion',
  targetGroupsPerRegion: 'TargetGroupsPerRegion',
  listenersPerService: 'L-D64E952E',
  rulesPerListener: 'RulesPerListener',
  serviceAssociationsPerServiceNetwork: 'ServiceAssociationsPerServiceNetwork',
  vpcAssociationsPerServiceNetwork: 'VpcAssociationsPerServiceNetwork',
  targetsPerTargetGroup: 'TargetsPerTargetGroup',
  targetGroupsPerService: 'TargetGroupsPerService',
  resourceConfigurationsPerRegion: 'ResourceConfigurationsPerRegion',
  resourceConfigurationsPerServiceNetwork: 'ResourceConfigurationsPerServiceNetwork',
  childResourceConfigurationsPerGroup: 'L-9BC96FEF',
  resourceGatewaysPerVpc: 'ResourceGatewaysPerVpc',
  domainVerificationsPerRegion: 'L-73D0F278',
};

/** Parses `name=value` overrides; throws with a clear message on an unknown name or bad value. */
export function parseQuotas(overrides: string[]): Quotas {
  const q: Quotas = { ...DEFAULT_QUOTAS };
  for (const o of overrides) {
    const [name, value] = o.split('=');
    if (!(name in q)) throw new Error(`unknown quota "${name}"; known: ${Object.keys(q).join(', ')}`);
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`quota ${name} needs a whole number, got "${value}"`);
    q[name as QuotaName] = n;
  }
  return q;
}
