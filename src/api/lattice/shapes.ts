// The inputs of the VPC Lattice API and what they constrain, written from the AWS Smithy model
// (com.amazonaws.vpclattice, 2022-11-30) plus what @aws-sdk/client-vpc-lattice 3.1142.0 adds
// (domain verification, idle timeouts, private DNS). test/api/model.test.ts checks this file
// against the model where ../shared is present.
import { str, int, bool, list, map, struct, union } from '../protocol/schema.ts';

export const Bool = bool();
export const IdleTimeoutSeconds = int({ min: 60, max: 600 });
export const Ipv4AddressesPerEni = int({ min: 1, max: 62 });
export const ResourceConfigDnsResolution = str({ enum: ["IN_VPC", "PUBLIC"] });
export const PrivateDnsPreference = str({ enum: ["VERIFIED_DOMAINS_ONLY", "ALL_DOMAINS", "VERIFIED_DOMAINS_AND_SPECIFIED_DOMAINS", "SPECIFIED_DOMAINS_ONLY"] });
export const PrivateDnsSpecifiedDomains = list(str({ min: 1, max: 255 }), { min: 0, max: 10 });
export const DnsOptions = struct({ privateDnsPreference: PrivateDnsPreference, privateDnsSpecifiedDomains: PrivateDnsSpecifiedDomains });
export const DomainVerificationIdentifier = str({ min: 1, max: 2048, pattern: /^((dv-[a-fA-F0-9]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:domainverification\/dv-[a-fA-F0-9]{17}))$/ });
export const CidrResource = struct({ cidrRanges: { shape: list(str({ min: 9, max: 43 }), { min: 1, max: 100 }), required: true } });
export const ServiceIdentifier = str({ min: 17, max: 2048, pattern: /^((svc-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:service\/svc-[0-9a-z]{17}))$/ });
export const ListenerIdentifier = str({ min: 20, max: 2048, pattern: /^((listener-[0-9a-z]{17})|(^arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:service\/svc-[0-9a-z]{17}\/listener\/listener-[0-9a-z]{17}$))$/ });
export const RuleIdentifier = str({ min: 20, max: 2048, pattern: /^((rule-[0-9a-z]{17})|(^arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:service\/svc-[0-9a-z]{17}\/listener\/listener-[0-9a-z]{17}\/rule\/rule-[0-9a-z]{17}$))$/ });
export const HttpMethod = str({ max: 16 });
export const PathMatchExact = str({ min: 1, max: 200, pattern: /^\/[a-zA-Z0-9@:%_+.~#?&\/=-]*$/ });
export const PathMatchPrefix = str({ min: 1, max: 200, pattern: /^\/[a-zA-Z0-9@:%_+.~#?&\/=-]*$/ });
export const PathMatchType = union({ exact: PathMatchExact, prefix: PathMatchPrefix });
export const PathMatch = struct({ match: { shape: PathMatchType, required: true }, caseSensitive: Bool });
export const HeaderMatchName = str({ min: 1, max: 100 });
export const HeaderMatchExact = str({ min: 1, max: 200 });
export const HeaderMatchPrefix = str({ min: 1, max: 200 });
export const HeaderMatchContains = str({ min: 1, max: 200 });
export const HeaderMatchType = union({ exact: HeaderMatchExact, prefix: HeaderMatchPrefix, contains: HeaderMatchContains });
export const HeaderMatch = struct({ name: { shape: HeaderMatchName, required: true }, match: { shape: HeaderMatchType, required: true }, caseSensitive: Bool });
export const HeaderMatchList = list(HeaderMatch, { min: 1, max: 5 });
export const HttpMatch = struct({ method: HttpMethod, pathMatch: PathMatch, headerMatches: HeaderMatchList });
export const RuleMatch = union({ httpMatch: HttpMatch });
export const RulePriority = int({ min: 1, max: 100 });
export const TargetGroupIdentifier = str({ min: 17, max: 2048, pattern: /^((tg-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:targetgroup\/tg-[0-9a-z]{17}))$/ });
export const TargetGroupWeight = int({ min: 0, max: 999 });
export const WeightedTargetGroup = struct({ targetGroupIdentifier: { shape: TargetGroupIdentifier, required: true }, weight: TargetGroupWeight });
export const WeightedTargetGroupList = list(WeightedTargetGroup, { min: 1, max: 10 });
export const ForwardAction = struct({ targetGroups: { shape: WeightedTargetGroupList, required: true } });
export const HttpStatusCode = int({ min: 100, max: 599 });
export const FixedResponseAction = struct({ statusCode: { shape: HttpStatusCode, required: true } });
export const RuleAction = union({ forward: ForwardAction, fixedResponse: FixedResponseAction });
export const RuleUpdate = struct({ ruleIdentifier: { shape: RuleIdentifier, required: true }, match: RuleMatch, priority: RulePriority, action: RuleAction });
export const RuleUpdateList = list(RuleUpdate, { min: 1, max: 5 });
export const BatchUpdateRuleRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  listenerIdentifier: { shape: ListenerIdentifier, required: true, in: 'label' },
  rules: { shape: RuleUpdateList, required: true },
});
export const ClientToken = str({ min: 1, max: 64, pattern: /[!-~]+/ });
export const ResourceIdentifier = str({ min: 17, max: 200, pattern: /^((((sn)|(svc)|(rcfg))-[0-9a-z]{17})|(arn(:[a-z0-9]+([.-][a-z0-9]+)*){2}(:([a-z0-9]+([.-][a-z0-9]+)*)?){2}:((servicenetwork\/sn)|(resourceconfiguration\/rcfg)|(service\/svc))-[0-9a-z]{17}))$/ });
export const AccessLogDestinationArn = str({ min: 20, max: 2048, pattern: /^arn(:[a-z0-9]+([.-][a-z0-9]+)*){2}(:([a-z0-9]+([.-][a-z0-9]+)*)?){2}:([^\/].*)?$/ });
export const ServiceNetworkLogType = str({ enum: ["SERVICE", "RESOURCE"] });
export const TagKey = str({ min: 1, max: 128 });
export const TagValue = str({ min: 0, max: 256 });
export const TagMap = map(TagKey, TagValue, { max: 200 });
export const CreateAccessLogSubscriptionRequest = struct({
  clientToken: { shape: ClientToken, idempotencyToken: true },
  resourceIdentifier: { shape: ResourceIdentifier, required: true },
  destinationArn: { shape: AccessLogDestinationArn, required: true },
  serviceNetworkLogType: ServiceNetworkLogType,
  tags: TagMap,
});
export const ListenerName = str({ min: 3, max: 63, pattern: /^(?!listener-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+$/ });
export const ListenerProtocol = str({ enum: ["HTTP", "HTTPS", "TLS_PASSTHROUGH"] });
export const Port = int({ min: 1, max: 65535 });
export const CreateListenerRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  name: { shape: ListenerName, required: true },
  protocol: { shape: ListenerProtocol, required: true },
  port: Port,
  defaultAction: { shape: RuleAction, required: true },
  clientToken: { shape: ClientToken, idempotencyToken: true },
  tags: TagMap,
});
export const ResourceConfigurationName = str({ min: 3, max: 40, pattern: /^(?!rcfg-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+$/ });
export const ResourceConfigurationType = str({ enum: ["GROUP", "CHILD", "SINGLE", "ARN", "CIDR"] });
export const PortRange = str({ min: 1, max: 11, pattern: /^((\d{1,5}\-\d{1,5})|(\d+))$/ });
export const PortRangeList = list(PortRange);
export const ProtocolType = str({ enum: ["TCP", "TCP_UDP"] });
export const ResourceGatewayIdentifier = str({ min: 17, max: 2048, pattern: /^((rgw-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:resourcegateway\/rgw-[0-9a-z]{17}))$/ });
export const ResourceConfigurationIdentifier = str({ min: 20, max: 2048, pattern: /^((rcfg-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:resourceconfiguration\/rcfg-[0-9a-z]{17}))$/ });
export const DomainName = str({ min: 3, max: 255 });
export const ResourceConfigurationIpAddressType = str({ enum: ["IPV4", "IPV6", "DUALSTACK"] });
export const DnsResource = struct({ domainName: DomainName, ipAddressType: ResourceConfigurationIpAddressType });
export const IpAddress = str({ min: 4, max: 39 });
export const IpResource = struct({ ipAddress: IpAddress });
export const WildcardArn = str({ min: 20, max: 2048, pattern: /^arn:[a-z0-9][-.a-z0-9]{0,62}:[a-z0-9][-.a-z0-9]{0,62}:([a-z0-9][-.a-z0-9]{0,62})?:\d{12}?:[^\/].{0,1023}$/ });
export const ArnResource = struct({ arn: WildcardArn });
export const ResourceConfigurationDefinition = union({ dnsResource: DnsResource, ipResource: IpResource, arnResource: ArnResource, cidrResource: CidrResource });
export const CreateResourceConfigurationRequest = struct({
  name: { shape: ResourceConfigurationName, required: true },
  type: { shape: ResourceConfigurationType, required: true },
  portRanges: PortRangeList,
  protocol: ProtocolType,
  resourceGatewayIdentifier: ResourceGatewayIdentifier,
  resourceConfigurationGroupIdentifier: ResourceConfigurationIdentifier,
  resourceConfigurationDefinition: ResourceConfigurationDefinition,
  allowAssociationToShareableServiceNetwork: Bool,
  clientToken: { shape: ClientToken, idempotencyToken: true },
  tags: TagMap,
  customDomainName: DomainName,
  groupDomain: DomainName,
  domainVerificationIdentifier: DomainVerificationIdentifier,
});
export const ResourceGatewayName = str({ min: 3, max: 40, pattern: /^(?!rgw-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+$/ });
export const VpcId = str({ min: 5, max: 50, pattern: /^vpc-(([0-9a-z]{8})|([0-9a-z]{17}))$/ });
export const SubnetId = str({ min: 5, max: 200 });
export const SubnetList = list(SubnetId);
export const SecurityGroupId = str({ min: 5, max: 200, pattern: /^sg-(([0-9a-z]{8})|([0-9a-z]{17}))$/ });
export const SecurityGroupList = list(SecurityGroupId);
export const ResourceGatewayIpAddressType = str({ enum: ["IPV4", "IPV6", "DUALSTACK"] });
export const CreateResourceGatewayRequest = struct({
  clientToken: { shape: ClientToken, idempotencyToken: true },
  name: { shape: ResourceGatewayName, required: true },
  vpcIdentifier: VpcId,
  subnetIds: SubnetList,
  securityGroupIds: list(SecurityGroupId, { min: 0, max: 5 }),
  ipAddressType: ResourceGatewayIpAddressType,
  tags: TagMap,
  ipv4AddressesPerEni: Ipv4AddressesPerEni,
  resourceConfigDnsResolution: ResourceConfigDnsResolution,
});
export const RuleName = str({ min: 3, max: 63, pattern: /^(?!rule-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+$/ });
export const CreateRuleRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  listenerIdentifier: { shape: ListenerIdentifier, required: true, in: 'label' },
  name: { shape: RuleName, required: true },
  match: { shape: RuleMatch, required: true },
  priority: { shape: RulePriority, required: true },
  action: { shape: RuleAction, required: true },
  clientToken: { shape: ClientToken, idempotencyToken: true },
  tags: TagMap,
});
export const ServiceName = str({ min: 3, max: 40, pattern: /^(?!svc-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+$/ });
export const ServiceCustomDomainName = str({ min: 3, max: 255 });
export const CertificateArn = str({ max: 2048, pattern: /^(arn(:[a-z0-9]+([.-][a-z0-9]+)*){2}(:([a-z0-9]+([.-][a-z0-9]+)*)?){2}:certificate\/[0-9a-z-]+)?$/ });
export const AuthType = str({ enum: ["NONE", "AWS_IAM"] });
export const CreateServiceRequest = struct({
  clientToken: { shape: ClientToken, idempotencyToken: true },
  name: { shape: ServiceName, required: true },
  tags: TagMap,
  customDomainName: ServiceCustomDomainName,
  certificateArn: CertificateArn,
  authType: AuthType,
  idleTimeoutSeconds: IdleTimeoutSeconds,
});
export const ServiceNetworkName = str({ min: 3, max: 63, pattern: /^(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+$/ });
export const SharingConfig = struct({ enabled: Bool });
export const CreateServiceNetworkRequest = struct({
  clientToken: { shape: ClientToken, idempotencyToken: true },
  name: { shape: ServiceNetworkName, required: true },
  authType: AuthType,
  tags: TagMap,
  sharingConfig: SharingConfig,
});
export const ServiceNetworkIdentifierWithoutRegex = str({ min: 3, max: 2048 });
export const CreateServiceNetworkResourceAssociationRequest = struct({
  clientToken: { shape: ClientToken, idempotencyToken: true },
  resourceConfigurationIdentifier: { shape: ResourceConfigurationIdentifier, required: true },
  serviceNetworkIdentifier: { shape: ServiceNetworkIdentifierWithoutRegex, required: true },
  tags: TagMap,
  privateDnsEnabled: Bool,
});
export const ServiceNetworkIdentifier = str({ min: 3, max: 2048, pattern: /^((sn-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:servicenetwork\/sn-[0-9a-z]{17}))$/ });
export const CreateServiceNetworkServiceAssociationRequest = struct({
  clientToken: { shape: ClientToken, idempotencyToken: true },
  serviceIdentifier: { shape: ServiceIdentifier, required: true },
  serviceNetworkIdentifier: { shape: ServiceNetworkIdentifier, required: true },
  tags: TagMap,
});
export const CreateServiceNetworkVpcAssociationRequest = struct({
  clientToken: { shape: ClientToken, idempotencyToken: true },
  serviceNetworkIdentifier: { shape: ServiceNetworkIdentifier, required: true },
  vpcIdentifier: { shape: VpcId, required: true },
  securityGroupIds: list(SecurityGroupId, { min: 0, max: 5 }),
  tags: TagMap,
  privateDnsEnabled: Bool,
  dnsOptions: DnsOptions,
});
export const TargetGroupName = str({ min: 3, max: 128, pattern: /^(?!tg-)(?![-])(?!.*[-]$)(?!.*[-]{2})[a-z0-9-]+$/ });
export const TargetGroupType = str({ enum: ["IP", "LAMBDA", "INSTANCE", "ALB"] });
export const TargetGroupProtocol = str({ enum: ["HTTP", "HTTPS", "TCP"] });
export const TargetGroupProtocolVersion = str({ enum: ["HTTP1", "HTTP2", "GRPC"] });
export const IpAddressType = str({ enum: ["IPV4", "IPV6"] });
export const HealthCheckProtocolVersion = str({ enum: ["HTTP1", "HTTP2"] });
export const HealthCheckPort = int({ min: 0, max: 65535 });
export const HealthCheckPath = str({ min: 0, max: 2048, pattern: /(^\/[a-zA-Z0-9@:%_+.~#?&\/=-]*$|(^$))/ });
export const HealthCheckIntervalSeconds = int({ min: 0, max: 300 });
export const HealthCheckTimeoutSeconds = int({ min: 0, max: 120 });
export const HealthyThresholdCount = int({ min: 0, max: 10 });
export const UnhealthyThresholdCount = int({ min: 0, max: 10 });
export const HttpCodeMatcher = str({ min: 0, max: 2000, pattern: /(^[0-9-,]+$|(^$))/ });
export const Matcher = union({ httpCode: HttpCodeMatcher });
export const HealthCheckConfig = struct({
  enabled: Bool,
  protocol: TargetGroupProtocol,
  protocolVersion: HealthCheckProtocolVersion,
  port: HealthCheckPort,
  path: HealthCheckPath,
  healthCheckIntervalSeconds: HealthCheckIntervalSeconds,
  healthCheckTimeoutSeconds: HealthCheckTimeoutSeconds,
  healthyThresholdCount: HealthyThresholdCount,
  unhealthyThresholdCount: UnhealthyThresholdCount,
  matcher: Matcher,
});
export const LambdaEventStructureVersion = str({ enum: ["V1", "V2"] });
export const TargetGroupConfig = struct({
  port: Port,
  protocol: TargetGroupProtocol,
  protocolVersion: TargetGroupProtocolVersion,
  ipAddressType: IpAddressType,
  vpcIdentifier: VpcId,
  healthCheck: HealthCheckConfig,
  lambdaEventStructureVersion: LambdaEventStructureVersion,
});
export const CreateTargetGroupRequest = struct({
  name: { shape: TargetGroupName, required: true },
  type: { shape: TargetGroupType, required: true },
  config: TargetGroupConfig,
  clientToken: { shape: ClientToken, idempotencyToken: true },
  tags: TagMap,
});
export const AccessLogSubscriptionIdentifier = str({ min: 17, max: 2048, pattern: /^((als-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:accesslogsubscription\/als-[0-9a-z]{17}))$/ });
export const DeleteAccessLogSubscriptionRequest = struct({ accessLogSubscriptionIdentifier: { shape: AccessLogSubscriptionIdentifier, required: true, in: 'label' } });
export const DeleteAuthPolicyRequest = struct({ resourceIdentifier: { shape: ResourceIdentifier, required: true, in: 'label' } });
export const DeleteListenerRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  listenerIdentifier: { shape: ListenerIdentifier, required: true, in: 'label' },
});
export const DeleteResourceConfigurationRequest = struct({ resourceConfigurationIdentifier: { shape: ResourceConfigurationIdentifier, required: true, in: 'label' } });
export const ResourceEndpointAssociationIdentifier = str({ min: 21, max: 2048, pattern: /^((rea-[0-9a-f]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:resourceendpointassociation\/rea-[0-9a-f]{17}))$/ });
export const DeleteResourceEndpointAssociationRequest = struct({
  resourceEndpointAssociationIdentifier: { shape: ResourceEndpointAssociationIdentifier, required: true, in: 'label' },
});
export const DeleteResourceGatewayRequest = struct({ resourceGatewayIdentifier: { shape: ResourceGatewayIdentifier, required: true, in: 'label' } });
export const ResourceArn = str({ min: 20, max: 200, pattern: /^arn(:[a-z0-9]+([.-][a-z0-9]+)*){2}(:([a-z0-9]+([.-][a-z0-9]+)*)?){2}:((servicenetwork\/sn)|(service\/svc)|(resourceconfiguration\/rcfg))-[0-9a-z]{17}$/ });
export const DeleteResourcePolicyRequest = struct({ resourceArn: { shape: ResourceArn, required: true, in: 'label' } });
export const DeleteRuleRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  listenerIdentifier: { shape: ListenerIdentifier, required: true, in: 'label' },
  ruleIdentifier: { shape: RuleIdentifier, required: true, in: 'label' },
});
export const DeleteServiceRequest = struct({ serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' } });
export const DeleteServiceNetworkRequest = struct({ serviceNetworkIdentifier: { shape: ServiceNetworkIdentifier, required: true, in: 'label' } });
export const ServiceNetworkResourceAssociationIdentifier = str({ min: 22, max: 2048, pattern: /^((snra-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:servicenetworkresourceassociation\/snra-[0-9a-f]{17}))$/ });
export const DeleteServiceNetworkResourceAssociationRequest = struct({
  serviceNetworkResourceAssociationIdentifier: { shape: ServiceNetworkResourceAssociationIdentifier, required: true, in: 'label' },
});
export const ServiceNetworkServiceAssociationIdentifier = str({ min: 17, max: 2048, pattern: /^((snsa-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:servicenetworkserviceassociation\/snsa-[0-9a-z]{17}))$/ });
export const DeleteServiceNetworkServiceAssociationRequest = struct({
  serviceNetworkServiceAssociationIdentifier: { shape: ServiceNetworkServiceAssociationIdentifier, required: true, in: 'label' },
});
export const ServiceNetworkVpcAssociationIdentifier = str({ min: 17, max: 2048, pattern: /^((snva-[0-9a-z]{17})|(arn:[a-z0-9\-]+:vpc-lattice:[a-zA-Z0-9\-]+:\d{12}:servicenetworkvpcassociation\/snva-[0-9a-z]{17}))$/ });
export const DeleteServiceNetworkVpcAssociationRequest = struct({
  serviceNetworkVpcAssociationIdentifier: { shape: ServiceNetworkVpcAssociationIdentifier, required: true, in: 'label' },
});
export const DeleteTargetGroupRequest = struct({ targetGroupIdentifier: { shape: TargetGroupIdentifier, required: true, in: 'label' } });
export const Target = struct({ id: { shape: str({ min: 1, max: 200 }), required: true }, port: Port });
export const TargetList = list(Target);
export const DeregisterTargetsRequest = struct({
  targetGroupIdentifier: { shape: TargetGroupIdentifier, required: true, in: 'label' },
  targets: { shape: list(Target, { min: 1, max: 100 }), required: true },
});
export const GetAccessLogSubscriptionRequest = struct({ accessLogSubscriptionIdentifier: { shape: AccessLogSubscriptionIdentifier, required: true, in: 'label' } });
export const GetAuthPolicyRequest = struct({ resourceIdentifier: { shape: ResourceIdentifier, required: true, in: 'label' } });
export const GetListenerRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  listenerIdentifier: { shape: ListenerIdentifier, required: true, in: 'label' },
});
export const GetResourceConfigurationRequest = struct({ resourceConfigurationIdentifier: { shape: ResourceConfigurationIdentifier, required: true, in: 'label' } });
export const GetResourceGatewayRequest = struct({ resourceGatewayIdentifier: { shape: ResourceGatewayIdentifier, required: true, in: 'label' } });
export const GetResourcePolicyRequest = struct({ resourceArn: { shape: ResourceArn, required: true, in: 'label' } });
export const GetRuleRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  listenerIdentifier: { shape: ListenerIdentifier, required: true, in: 'label' },
  ruleIdentifier: { shape: RuleIdentifier, required: true, in: 'label' },
});
export const GetServiceRequest = struct({ serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' } });
export const GetServiceNetworkRequest = struct({ serviceNetworkIdentifier: { shape: ServiceNetworkIdentifier, required: true, in: 'label' } });
export const GetServiceNetworkResourceAssociationRequest = struct({
  serviceNetworkResourceAssociationIdentifier: { shape: ServiceNetworkResourceAssociationIdentifier, required: true, in: 'label' },
});
export const GetServiceNetworkServiceAssociationRequest = struct({
  serviceNetworkServiceAssociationIdentifier: { shape: ServiceNetworkServiceAssociationIdentifier, required: true, in: 'label' },
});
export const GetServiceNetworkVpcAssociationRequest = struct({
  serviceNetworkVpcAssociationIdentifier: { shape: ServiceNetworkVpcAssociationIdentifier, required: true, in: 'label' },
});
export const GetTargetGroupRequest = struct({ targetGroupIdentifier: { shape: TargetGroupIdentifier, required: true, in: 'label' } });
export const MaxResults = int({ min: 1, max: 100 });
export const NextToken = str({ min: 1, max: 2048 });
export const ListAccessLogSubscriptionsRequest = struct({
  resourceIdentifier: { shape: ResourceIdentifier, required: true, in: 'query' },
  maxResults: { shape: MaxResults, in: 'query' },
  nextToken: { shape: NextToken, in: 'query' },
});
export const ListListenersRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  maxResults: { shape: MaxResults, in: 'query' },
  nextToken: { shape: NextToken, in: 'query' },
});
export const ListResourceConfigurationsRequest = struct({
  resourceGatewayIdentifier: { shape: ResourceGatewayIdentifier, in: 'query' },
  resourceConfigurationGroupIdentifier: { shape: ResourceConfigurationIdentifier, in: 'query' },
  maxResults: { shape: MaxResults, in: 'query' },
  nextToken: { shape: NextToken, in: 'query' },
  domainVerificationIdentifier: { shape: DomainVerificationIdentifier, in: 'query' },
});
export const VpcEndpointId = str({ min: 22, max: 22, pattern: /^vpce-[0-9a-f]{17}$/ });
export const VpcEndpointOwner = str({ min: 12, max: 12, pattern: /^\d{12}$/ });
export const ListResourceEndpointAssociationsRequest = struct({
  resourceConfigurationIdentifier: { shape: ResourceConfigurationIdentifier, required: true, in: 'query' },
  resourceEndpointAssociationIdentifier: { shape: ResourceEndpointAssociationIdentifier, in: 'query' },
  vpcEndpointId: { shape: VpcEndpointId, in: 'query' },
  vpcEndpointOwner: { shape: VpcEndpointOwner, in: 'query' },
  maxResults: { shape: MaxResults, in: 'query' },
  nextToken: { shape: NextToken, in: 'query' },
});
export const ListResourceGatewaysRequest = struct({ maxResults: { shape: MaxResults, in: 'query' }, nextToken: { shape: NextToken, in: 'query' } });
export const ListRulesRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  listenerIdentifier: { shape: ListenerIdentifier, required: true, in: 'label' },
  maxResults: { shape: MaxResults, in: 'query' },
  nextToken: { shape: NextToken, in: 'query' },
});
export const ListServiceNetworkResourceAssociationsRequest = struct({
  serviceNetworkIdentifier: { shape: ServiceNetworkIdentifier, in: 'query' },
  resourceConfigurationIdentifier: { shape: ResourceConfigurationIdentifier, in: 'query' },
  maxResults: { shape: MaxResults, in: 'query' },
  nextToken: { shape: NextToken, in: 'query' },
  includeChildren: { shape: Bool, in: 'query' },
});
export const ListServiceNetworkServiceAssociationsRequest = struct({
  serviceNetworkIdentifier: { shape: ServiceNetworkIdentifier, in: 'query' },
  serviceIdentifier: { shape: ServiceIdentifier, in: 'query' },
  maxResults: { shape: MaxResults, in: 'query' },
  nextToken: { shape: NextToken, in: 'query' },
});
export const ListServiceNetworkVpcAssociationsRequest = struct({
  serviceNetworkIdentifier: { shape: ServiceNetworkIdentifier, in: 'query' },
  vpcIdentifier: { shape: VpcId, in: 'query' },
  maxResults: { shape: MaxResults, in: 'query' },
  nextToken: { shape: NextToken, in: 'query' },
});
export const ListServiceNetworkVpcEndpointAssociationsRequest = struct({
  serviceNetworkIdentifier: { shape: ServiceNetworkIdentifier, required: true, in: 'query' },
  maxResults: { shape: MaxResults, in: 'query' },
  nextToken: { shape: NextToken, in: 'query' },
});
export const ListServiceNetworksRequest = struct({ maxResults: { shape: MaxResults, in: 'query' }, nextToken: { shape: NextToken, in: 'query' } });
export const ListServicesRequest = struct({ maxResults: { shape: MaxResults, in: 'query' }, nextToken: { shape: NextToken, in: 'query' } });
export const Arn = str({ max: 1224, pattern: /^arn:[a-z0-9][-.a-z0-9]{0,62}:vpc-lattice:([a-z0-9][-.a-z0-9]{0,62})?:\d{12}?:[^\/].{0,1023}$/ });
export const ListTagsForResourceRequest = struct({ resourceArn: { shape: Arn, required: true, in: 'label' } });
export const ListTargetGroupsRequest = struct({
  maxResults: { shape: MaxResults, in: 'query' },
  nextToken: { shape: NextToken, in: 'query' },
  vpcIdentifier: { shape: VpcId, in: 'query' },
  targetGroupType: { shape: TargetGroupType, in: 'query' },
});
export const ListTargetsRequest = struct({
  targetGroupIdentifier: { shape: TargetGroupIdentifier, required: true, in: 'label' },
  maxResults: { shape: MaxResults, in: 'query' },
  nextToken: { shape: NextToken, in: 'query' },
  targets: list(Target, { min: 0, max: 20 }),
});
export const AuthPolicyString = str({ max: 10000 });
export const PutAuthPolicyRequest = struct({
  resourceIdentifier: { shape: ResourceIdentifier, required: true, in: 'label' },
  policy: { shape: AuthPolicyString, required: true },
});
export const PolicyString = str({ min: 1, max: 10000, pattern: /^.*\S.*$/ });
export const PutResourcePolicyRequest = struct({ resourceArn: { shape: ResourceArn, required: true, in: 'label' }, policy: { shape: PolicyString, required: true } });
export const RegisterTargetsRequest = struct({
  targetGroupIdentifier: { shape: TargetGroupIdentifier, required: true, in: 'label' },
  targets: { shape: list(Target, { min: 1, max: 100 }), required: true },
});
export const TagResourceRequest = struct({ resourceArn: { shape: Arn, required: true, in: 'label' }, tags: { shape: TagMap, required: true } });
export const TagKeys = list(TagKey, { max: 200 });
export const UntagResourceRequest = struct({ resourceArn: { shape: Arn, required: true, in: 'label' }, tagKeys: { shape: TagKeys, required: true, in: 'query' } });
export const UpdateAccessLogSubscriptionRequest = struct({
  accessLogSubscriptionIdentifier: { shape: AccessLogSubscriptionIdentifier, required: true, in: 'label' },
  destinationArn: { shape: AccessLogDestinationArn, required: true },
});
export const UpdateListenerRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  listenerIdentifier: { shape: ListenerIdentifier, required: true, in: 'label' },
  defaultAction: { shape: RuleAction, required: true },
});
export const UpdateResourceConfigurationRequest = struct({
  resourceConfigurationIdentifier: { shape: ResourceConfigurationIdentifier, required: true, in: 'label' },
  resourceConfigurationDefinition: ResourceConfigurationDefinition,
  allowAssociationToShareableServiceNetwork: Bool,
  portRanges: PortRangeList,
});
export const UpdateResourceGatewayRequest = struct({
  resourceGatewayIdentifier: { shape: ResourceGatewayIdentifier, required: true, in: 'label' },
  securityGroupIds: list(SecurityGroupId, { min: 0, max: 5 }),
});
export const UpdateRuleRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  listenerIdentifier: { shape: ListenerIdentifier, required: true, in: 'label' },
  ruleIdentifier: { shape: RuleIdentifier, required: true, in: 'label' },
  match: RuleMatch,
  priority: RulePriority,
  action: RuleAction,
});
export const UpdateServiceRequest = struct({
  serviceIdentifier: { shape: ServiceIdentifier, required: true, in: 'label' },
  certificateArn: CertificateArn,
  authType: AuthType,
  idleTimeoutSeconds: IdleTimeoutSeconds,
});
export const UpdateServiceNetworkRequest = struct({
  serviceNetworkIdentifier: { shape: ServiceNetworkIdentifier, required: true, in: 'label' },
  authType: { shape: AuthType, required: true },
});
export const UpdateServiceNetworkVpcAssociationRequest = struct({
  serviceNetworkVpcAssociationIdentifier: { shape: ServiceNetworkVpcAssociationIdentifier, required: true, in: 'label' },
  securityGroupIds: list(SecurityGroupId, { min: 1, max: 5 }),
  privateDnsEnabled: Bool,
  dnsOptions: DnsOptions,
});
export const UpdateTargetGroupRequest = struct({
  targetGroupIdentifier: { shape: TargetGroupIdentifier, required: true, in: 'label' },
  healthCheck: { shape: HealthCheckConfig, required: true },
});
export const StartDomainVerificationRequest = struct({
  clientToken: { shape: ClientToken, idempotencyToken: true },
  domainName: { shape: DomainName, required: true },
  tags: TagMap,
});
export const GetDomainVerificationRequest = struct({ domainVerificationIdentifier: { shape: DomainVerificationIdentifier, required: true, in: 'label' } });
export const DeleteDomainVerificationRequest = struct({ domainVerificationIdentifier: { shape: DomainVerificationIdentifier, required: true, in: 'label' } });
export const ListDomainVerificationsRequest = struct({ maxResults: { shape: MaxResults, in: 'query' }, nextToken: { shape: NextToken, in: 'query' } });
