// The operation table of the VPC Lattice API: method, URI template, success code and input shape
// of each of the 73 operations of @aws-sdk/client-vpc-lattice. Routing, validation and
// serialization are all driven from here.
import * as S from './shapes.ts';
import type { StructShape } from '../protocol/schema.ts';

export interface Operation {
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly uri: string;
  readonly code: number;
  readonly input: StructShape;
}

const op = (method: Operation['method'], uri: string, code: number, input: StructShape) => ({ method, uri, code, input });

const table = {
  CreateAccessLogSubscription: op('POST', '/accesslogsubscriptions', 201, S.CreateAccessLogSubscriptionRequest),
  CreateListener: op('POST', '/services/{serviceIdentifier}/listeners', 201, S.CreateListenerRequest),
  CreateResourceConfiguration: op('POST', '/resourceconfigurations', 201, S.CreateResourceConfigurationRequest),
  CreateResourceGateway: op('POST', '/resourcegateways', 201, S.CreateResourceGatewayRequest),
  CreateRule: op('POST', '/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules', 201, S.CreateRuleRequest),
  CreateService: op('POST', '/services', 201, S.CreateServiceRequest),
  CreateServiceNetwork: op('POST', '/servicenetworks', 201, S.CreateServiceNetworkRequest),
  CreateServiceNetworkResourceAssociation: op('POST', '/servicenetworkresourceassociations', 201, S.CreateServiceNetworkResourceAssociationRequest),
  CreateServiceNetworkServiceAssociation: op('POST', '/servicenetworkserviceassociations', 200, S.CreateServiceNetworkServiceAssociationRequest),
  CreateServiceNetworkVpcAssociation: op('POST', '/servicenetworkvpcassociations', 200, S.CreateServiceNetworkVpcAssociationRequest),
  CreateTargetGroup: op('POST', '/targetgroups', 201, S.CreateTargetGroupRequest),
  DeleteAccessLogSubscription: op('DELETE', '/accesslogsubscriptions/{accessLogSubscriptionIdentifier}', 204, S.DeleteAccessLogSubscriptionRequest),
  DeleteAuthPolicy: op('DELETE', '/authpolicy/{resourceIdentifier}', 204, S.DeleteAuthPolicyRequest),
  DeleteDomainVerification: op('DELETE', '/domainverifications/{domainVerificationIdentifier}', 200, S.DeleteDomainVerificationRequest),
  DeleteListener: op('DELETE', '/services/{serviceIdentifier}/listeners/{listenerIdentifier}', 204, S.DeleteListenerRequest),
  DeleteResourceConfiguration: op('DELETE', '/resourceconfigurations/{resourceConfigurationIdentifier}', 204, S.DeleteResourceConfigurationRequest),
  DeleteResourceEndpointAssociation: op('DELETE', '/resourceendpointassociations/{resourceEndpointAssociationIdentifier}', 200, S.DeleteResourceEndpointAssociationRequest),
  DeleteResourceGateway: op('DELETE', '/resourcegateways/{resourceGatewayIdentifier}', 200, S.DeleteResourceGatewayRequest),
  DeleteResourcePolicy: op('DELETE', '/resourcepolicy/{resourceArn}', 204, S.DeleteResourcePolicyRequest),
  DeleteRule: op('DELETE', '/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules/{ruleIdentifier}', 204, S.DeleteRuleRequest),
  DeleteService: op('DELETE', '/services/{serviceIdentifier}', 200, S.DeleteServiceRequest),
  DeleteServiceNetwork: op('DELETE', '/servicenetworks/{serviceNetworkIdentifier}', 204, S.DeleteServiceNetworkRequest),
  DeleteServiceNetworkResourceAssociation: op('DELETE', '/servicenetworkresourceassociations/{serviceNetworkResourceAssociationIdentifier}', 200, S.DeleteServiceNetworkResourceAssociationRequest),
  DeleteServiceNetworkServiceAssociation: op('DELETE', '/servicenetworkserviceassociations/{serviceNetworkServiceAssociationIdentifier}', 200, S.DeleteServiceNetworkServiceAssociationRequest),
  DeleteServiceNetworkVpcAssociation: op('DELETE', '/servicenetworkvpcassociations/{serviceNetworkVpcAssociationIdentifier}', 200, S.DeleteServiceNetworkVpcAssociationRequest),
  DeleteTargetGroup: op('DELETE', '/targetgroups/{targetGroupIdentifier}', 200, S.DeleteTargetGroupRequest),
  DeregisterTargets: op('POST', '/targetgroups/{targetGroupIdentifier}/deregistertargets', 200, S.DeregisterTargetsRequest),
  GetAccessLogSubscription: op('GET', '/accesslogsubscriptions/{accessLogSubscriptionIdentifier}', 200, S.GetAccessLogSubscriptionRequest),
  GetAuthPolicy: op('GET', '/authpolicy/{resourceIdentifier}', 200, S.GetAuthPolicyRequest),
  GetDomainVerification: op('GET', '/domainverifications/{domainVerificationIdentifier}', 200, S.GetDomainVerificationRequest),
  GetListener: op('GET', '/services/{serviceIdentifier}/listeners/{listenerIdentifier}', 200, S.GetListenerRequest),
  GetResourceConfiguration: op('GET', '/resourceconfigurations/{resourceConfigurationIdentifier}', 200, S.GetResourceConfigurationRequest),
  GetResourceGateway: op('GET', '/resourcegateways/{resourceGatewayIdentifier}', 200, S.GetResourceGatewayRequest),
  GetResourcePolicy: op('GET', '/resourcepolicy/{resourceArn}', 200, S.GetResourcePolicyRequest),
  GetRule: op('GET', '/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules/{ruleIdentifier}', 200, S.GetRuleRequest),
  GetService: op('GET', '/services/{serviceIdentifier}', 200, S.GetServiceRequest),
  GetServiceNetwork: op('GET', '/servicenetworks/{serviceNetworkIdentifier}', 200, S.GetServiceNetworkRequest),
  GetServiceNetworkResourceAssociation: op('GET', '/servicenetworkresourceassociations/{serviceNetworkResourceAssociationIdentifier}', 200, S.GetServiceNetworkResourceAssociationRequest),
  GetServiceNetworkServiceAssociation: op('GET', '/servicenetworkserviceassociations/{serviceNetworkServiceAssociationIdentifier}', 200, S.GetServiceNetworkServiceAssociationRequest),
  GetServiceNetworkVpcAssociation: op('GET', '/servicenetworkvpcassociations/{serviceNetworkVpcAssociationIdentifier}', 200, S.GetServiceNetworkVpcAssociationRequest),
  GetTargetGroup: op('GET', '/targetgroups/{targetGroupIdentifier}', 200, S.GetTargetGroupRequest),
  ListAccessLogSubscriptions: op('GET', '/accesslogsubscriptions', 200, S.ListAccessLogSubscriptionsRequest),
  ListDomainVerifications: op('GET', '/domainverifications', 200, S.ListDomainVerificationsRequest),
  ListListeners: op('GET', '/services/{serviceIdentifier}/listeners', 200, S.ListListenersRequest),
  ListResourceConfigurations: op('GET', '/resourceconfigurations', 200, S.ListResourceConfigurationsRequest),
  ListResourceEndpointAssociations: op('GET', '/resourceendpointassociations', 200, S.ListResourceEndpointAssociationsRequest),
  ListResourceGateways: op('GET', '/resourcegateways', 200, S.ListResourceGatewaysRequest),
  ListRules: op('GET', '/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules', 200, S.ListRulesRequest),
  ListServiceNetworkResourceAssociations: op('GET', '/servicenetworkresourceassociations', 200, S.ListServiceNetworkResourceAssociationsRequest),
  ListServiceNetworkServiceAssociations: op('GET', '/servicenetworkserviceassociations', 200, S.ListServiceNetworkServiceAssociationsRequest),
  ListServiceNetworkVpcAssociations: op('GET', '/servicenetworkvpcassociations', 200, S.ListServiceNetworkVpcAssociationsRequest),
  ListServiceNetworkVpcEndpointAssociations: op('GET', '/servicenetworkvpcendpointassociations', 200, S.ListServiceNetworkVpcEndpointAssociationsRequest),
  ListServiceNetworks: op('GET', '/servicenetworks', 200, S.ListServiceNetworksRequest),
  ListServices: op('GET', '/services', 200, S.ListServicesRequest),
  ListTagsForResource: op('GET', '/tags/{resourceArn}', 200, S.ListTagsForResourceRequest),
  ListTargetGroups: op('GET', '/targetgroups', 200, S.ListTargetGroupsRequest),
  ListTargets: op('POST', '/targetgroups/{targetGroupIdentifier}/listtargets', 200, S.ListTargetsRequest),
  PutAuthPolicy: op('PUT', '/authpolicy/{resourceIdentifier}', 200, S.PutAuthPolicyRequest),
  PutResourcePolicy: op('PUT', '/resourcepolicy/{resourceArn}', 200, S.PutResourcePolicyRequest),
  RegisterTargets: op('POST', '/targetgroups/{targetGroupIdentifier}/registertargets', 200, S.RegisterTargetsRequest),
  StartDomainVerification: op('POST', '/domainverifications', 201, S.StartDomainVerificationRequest),
  TagResource: op('POST', '/tags/{resourceArn}', 200, S.TagResourceRequest),
  UntagResource: op('DELETE', '/tags/{resourceArn}', 200, S.UntagResourceRequest),
  UpdateAccessLogSubscription: op('PATCH', '/accesslogsubscriptions/{accessLogSubscriptionIdentifier}', 200, S.UpdateAccessLogSubscriptionRequest),
  UpdateListener: op('PATCH', '/services/{serviceIdentifier}/listeners/{listenerIdentifier}', 200, S.UpdateListenerRequest),
  UpdateResourceConfiguration: op('PATCH', '/resourceconfigurations/{resourceConfigurationIdentifier}', 200, S.UpdateResourceConfigurationRequest),
  UpdateResourceGateway: op('PATCH', '/resourcegateways/{resourceGatewayIdentifier}', 200, S.UpdateResourceGatewayRequest),
  UpdateRule: op('PATCH', '/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules/{ruleIdentifier}', 200, S.UpdateRuleRequest),
  UpdateService: op('PATCH', '/services/{serviceIdentifier}', 200, S.UpdateServiceRequest),
  UpdateServiceNetwork: op('PATCH', '/servicenetworks/{serviceNetworkIdentifier}', 200, S.UpdateServiceNetworkRequest),
  UpdateServiceNetworkVpcAssociation: op('PATCH', '/servicenetworkvpcassociations/{serviceNetworkVpcAssociationIdentifier}', 200, S.UpdateServiceNetworkVpcAssociationRequest),
  UpdateTargetGroup: op('PATCH', '/targetgroups/{targetGroupIdentifier}', 200, S.UpdateTargetGroupRequest),
  BatchUpdateRule: op('PATCH', '/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules', 200, S.BatchUpdateRuleRequest),
} satisfies Record<string, Omit<Operation, 'name'>>;

export type OperationName = keyof typeof table;

export const operations: readonly Operation[] = Object.entries(table).map(([name, o]) => ({ name, ...o }));
