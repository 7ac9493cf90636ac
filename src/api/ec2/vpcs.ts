// VPCs: sets of CIDR blocks that clients' source addresses fall in. `trellis up` registers one
// default VPC covering loopback (127.0.0.0/16), owned by the bootstrap account.
import { randomBytes } from 'node:crypto';
import type { Store } from '../../store/store.ts';
import type { View } from '../../store/view.ts';

export interface VpcRecord {
  id: string;
  account: string;
  region: string;
  cidrBlocks: string[];
  isDefault: boolean;
  createdAt: string;
  tags?: Record<string, string>;
}

export const DEFAULT_VPC_CIDR = '127.0.0.0/16';

export const newVpcId = () => 'vpc-' + randomBytes(9).toString('hex').slice(0, 17);

export async function ensureDefaultVpc(store: Store, view: View, account: string, region: string): Promise<string> {
  for (const vpc of view.all<VpcRecord>('vpc')) if (vpc.isDefault && vpc.account === account) return vpc.id;
  const rec: VpcRecord = { id: newVpcId(), account, region, cidrBlocks: [DEFAULT_VPC_CIDR], isDefault: true, createdAt: new Date().toISOString() };
  await store.commit([{ key: `vpc/${rec.id}`, value: { ...rec } }]);
  return rec.id;
}
