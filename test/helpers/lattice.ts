// Builds a working Lattice set-up through the official SDK: service network associated with the
// default VPC, a service with one listener forwarding to an IP target group of local backends.
import {
  type VPCLatticeClient, type HealthCheckConfig, type TargetGroupProtocolVersion,
  CreateServiceNetworkCommand, CreateServiceNetworkVpcAssociationCommand, CreateServiceCommand, CreateTargetGroupCommand,
  RegisterTargetsCommand, CreateListenerCommand, CreateServiceNetworkServiceAssociationCommand, ListTargetsCommand, ListServiceNetworkVpcAssociationsCommand,
} from '@aws-sdk/client-vpc-lattice';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Built {
  serviceId: string;
  serviceArn: string;
  host: string;
  listenerId: string;
  tgId: string;
  tgArn: string;
  serviceNetworkId: string;
  serviceNetworkArn: string;
}

let networkCount = 0;

/** The service network the VPC is associated with, created and associated when there is none. */
export async function createNetwork(client: VPCLatticeClient, vpcId: string): Promise<{ id: string; arn: string }> {
  const existing = (await client.send(new ListServiceNetworkVpcAssociationsCommand({ vpcIdentifier: vpcId }))).items?.[0];
  if (existing) return { id: existing.serviceNetworkId!, arn: existing.serviceNetworkArn! };
  const sn = await client.send(new CreateServiceNetworkCommand({ name: `net-${process.pid}-${++networkCount}` }));
  await client.send(new CreateServiceNetworkVpcAssociationCommand({ serviceNetworkIdentifier: sn.id, vpcIdentifier: vpcId }));
  return { id: sn.id!, arn: sn.arn! };
}

export async function createTargetGroup(client: VPCLatticeClient, name: string, ports: number[], opts: { protocol?: 'HTTP' | 'HTTPS' | 'TCP'; protocolVersion?: TargetGroupProtocolVersion; healthCheck?: HealthCheckConfig; vpcId: string }): Promise<{ id: string; arn: string }> {
  const tg = await client.send(new CreateTargetGroupCommand({
    name, type: 'IP',
    config: { port: ports[0] ?? 80, protocol: opts.protocol ?? 'HTTP', protocolVersion: opts.protocolVersion ?? 'HTTP1', vpcIdentifier: opts.vpcId, healthCheck: opts.healthCheck ?? { enabled: false } },
  }));
  if (ports.length) await client.send(new RegisterTargetsCommand({ targetGroupIdentifier: tg.id, targets: ports.map((port) => ({ id: '127.0.0.1', port })) }));
  return { id: tg.id!, arn: tg.arn! };
}

export async function buildService(client: VPCLatticeClient, opts: {
  name: string; port: number; vpcId: string; targets: number[]; protocol?: 'HTTP' | 'HTTPS';
  tgProtocol?: 'HTTP' | 'HTTPS'; protocolVersion?: TargetGroupProtocolVersion; healthCheck?: HealthCheckConfig;
  network?: { id: string; arn: string };
}): Promise<Built> {
  const network = opts.network ?? await createNetwork(client, opts.vpcId);
  const svc = await client.send(new CreateServiceCommand({ name: opts.name }));
  const tg = await createTargetGroup(client, `${opts.name}-tg`, opts.targets, { protocol: opts.tgProtocol, protocolVersion: opts.protocolVersion, healthCheck: opts.healthCheck, vpcId: opts.vpcId });
  const listener = await client.send(new CreateListenerCommand({
    serviceIdentifier: svc.id, name: 'main', protocol: opts.protocol ?? 'HTTP', port: opts.port,
    defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tg.id }] } },
  }));
  await client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceIdentifier: svc.id, serviceNetworkIdentifier: network.id }));
  return {
    serviceId: svc.id!, serviceArn: svc.arn!, host: svc.dnsEntry!.domainName!, listenerId: listener.id!,
    tgId: tg.id, tgArn: tg.arn, serviceNetworkId: network.id, serviceNetworkArn: network.arn,
  };
}

/** Polls ListTargets until every target has `status` (bounded: 10 s). */
export async function waitForTargets(client: VPCLatticeClient, tgId: string, status: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = (await client.send(new ListTargetsCommand({ targetGroupIdentifier: tgId }))).items ?? [];
    if (items.length > 0 && items.every((t) => t.status === status)) return;
    if (Date.now() > deadline) throw new Error(`targets of ${tgId} not ${status}: ${JSON.stringify(items)}`);
    await sleep(50);
  }
}
