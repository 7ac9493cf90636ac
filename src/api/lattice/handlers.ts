// Handler types: each operation's input and output typed by the AWS SDK's own shapes, so the
// compiler checks what goes over the wire.
import type * as L from '@aws-sdk/client-vpc-lattice';
import type { OperationName } from './operations.ts';
import type { Ctx } from './context.ts';

/** Required members of a validated input are present: strip `undefined` from them. */
export type Valid<T> = { [K in keyof T as object extends Pick<T, K> ? never : K]-?: Exclude<T[K], undefined> } & { [K in keyof T as object extends Pick<T, K> ? K : never]?: T[K] };

export interface IO {
  BatchUpdateRule: [L.BatchUpdateRuleRequest, L.BatchUpdateRuleResponse];
  CreateAccessLogSubscription: [L.CreateAccessLogSubscriptionRequest, L.CreateAccessLogSubscriptionResponse];
  CreateListener: [L.CreateListenerRequest, L.CreateListenerResponse];
  CreateResourceConfiguration: [L.CreateResourceConfigurationRequest, L.CreateResourceConfigurationResponse];
  CreateResourceGateway: [L.CreateResourceGatewayRequest, L.CreateResourceGatewayResponse];
  CreateRule: [L.CreateRuleRequest, L.CreateRuleResponse];
  CreateService: [L.CreateServiceRequest, L.CreateServiceResponse];
  CreateServiceNetwork: [L.CreateServiceNetworkRequest, L.CreateServiceNetworkResponse];
  CreateServiceNetworkResourceAssociation: [L.CreateServiceNetworkResourceAssociationRequest, L.CreateServiceNetworkResourceAssociationResponse];
  CreateServiceNetworkServiceAssociation: [L.CreateServiceNetworkServiceAssociationRequest, L.CreateServiceNetworkServiceAssociationResponse];
  CreateServiceNetworkVpcAssociation: [L.CreateServiceNetworkVpcAssociationRequest, L.CreateServiceNetworkVpcAssociationResponse];
  CreateTargetGroup: [L.CreateTargetGroupRequest, L.CreateTargetGroupResponse];
  DeleteAccessLogSubscription: [L.DeleteAccessLogSubscriptionRequest, L.DeleteAccessLogSubscriptionResponse];
  DeleteAuthPolicy: [L.DeleteAuthPolicyRequest, L.DeleteAuthPolicyResponse];
  DeleteDomainVerification: [L.DeleteDomainVerificationRequest, L.DeleteDomainVerificationResponse];
  DeleteListener: [L.DeleteListenerRequest, L.DeleteListenerResponse];
  DeleteResourceConfiguration: [L.DeleteResourceConfigurationRequest, L.DeleteResourceConfigurationResponse];
  DeleteResourceEndpointAssociation: [L.DeleteResourceEndpointAssociationRequest, L.DeleteResourceEndpointAssociationResponse];
  DeleteResourceGateway: [L.DeleteResourceGatewayRequest, L.DeleteResourceGatewayResponse];
  DeleteResourcePolicy: [L.DeleteResourcePolicyRequest, L.DeleteResourcePolicyResponse];
  DeleteRule: [L.DeleteRuleRequest, L.DeleteRuleResponse];
  DeleteService: [L.DeleteServiceRequest, L.DeleteServiceResponse];
  DeleteServiceNetwork: [L.DeleteServiceNetworkRequest, L.DeleteServiceNetworkResponse];
  DeleteServiceNetworkResourceAssociation: [L.DeleteServiceNetworkResourceAssociationRequest, L.DeleteServiceNetworkResourceAssociationResponse];
  DeleteServiceNetworkServiceAssociation: [L.DeleteServiceNetworkServiceAssociationRequest, L.DeleteServiceNetworkServiceAssociationResponse];
  DeleteServiceNetworkVpcAssociation: [L.DeleteServiceNetworkVpcAssociationRequest, L.DeleteServiceNetworkVpcAssociationResponse];
  DeleteTargetGroup: [L.DeleteTargetGroupRequest, L.DeleteTargetGroupResponse];
  DeregisterTargets: [L.DeregisterTargetsRequest, L.DeregisterTargetsResponse];
  GetAccessLogSubscription: [L.GetAccessLogSubscriptionRequest, L.GetAccessLogSubscriptionResponse];
  GetAuthPolicy: [L.GetAuthPolicyRequest, L.GetAuthPolicyResponse];
  GetDomainVerification: [L.GetDomainVerificationRequest, L.GetDomainVerificationResponse];
  GetListener: [L.GetListenerRequest, L.GetListenerResponse];
  GetResourceConfiguration: [L.GetResourceConfigurationRequest, L.GetResourceConfigurationResponse];
  GetResourceGateway: [L.GetResourceGatewayRequest, L.GetResourceGatewayResponse];
  GetResourcePolicy: [L.GetResourcePolicyRequest, L.GetResourcePolicyResponse];
  GetRule: [L.GetRuleRequest, L.GetRuleResponse];
  GetService: [L.GetServiceRequest, L.GetServiceResponse];
  GetServiceNetwork: [L.GetServiceNetworkRequest, L.GetServiceNetworkResponse];
  GetServiceNetworkResourceAssociation: [L.GetServiceNetworkResourceAssociationRequest, L.GetServiceNetworkResourceAssociationResponse];
  GetServiceNetworkServiceAssociation: [L.GetServiceNetworkServiceAssociationRequest, L.GetServiceNetworkServiceAssociationResponse];
  GetServiceNetworkVpcAssociation: [L.GetServiceNetworkVpcAssociationRequest, L.GetServiceNetworkVpcAssociationResponse];
  GetTargetGroup: [L.GetTargetGroupRequest, L.GetTargetGroupResponse];
  ListAccessLogSubscriptions: [L.ListAccessLogSubscriptionsRequest, L.ListAccessLogSubscriptionsResponse];
  ListDomainVerifications: [L.ListDomainVerificationsRequest, L.ListDomainVerificationsResponse];
  ListListeners: [L.ListListenersRequest, L.ListListenersResponse];
  ListResourceConfigurations: [L.ListResourceConfigurationsRequest, L.ListResourceConfigurationsResponse];
  ListResourceEndpointAssociations: [L.ListResourceEndpointAssociationsRequest, L.ListResourceEndpointAssociationsResponse];
  ListResourceGateways: [L.ListResourceGatewaysRequest, L.ListResourceGatewaysResponse];
  ListRules: [L.ListRulesRequest, L.ListRulesResponse];
  ListServiceNetworkResourceAssociations: [L.ListServiceNetworkResourceAssociationsRequest, L.ListServiceNetworkResourceAssociationsResponse];
  ListServiceNetworkServiceAssociations: [L.ListServiceNetworkServiceAssociationsRequest, L.ListServiceNetworkServiceAssociationsResponse];
  ListServiceNetworkVpcAssociations: [L.ListServiceNetworkVpcAssociationsRequest, L.ListServiceNetworkVpcAssociationsResponse];
  ListServiceNetworkVpcEndpointAssociations: [L.ListServiceNetworkVpcEndpointAssociationsRequest, L.ListServiceNetworkVpcEndpointAssociationsResponse];
  ListServiceNetworks: [L.ListServiceNetworksRequest, L.ListServiceNetworksResponse];
  ListServices: [L.ListServicesRequest, L.ListServicesResponse];
  ListTagsForResource: [L.ListTagsForResourceRequest, L.ListTagsForResourceResponse];
  ListTargetGroups: [L.ListTargetGroupsRequest, L.ListTargetGroupsResponse];
  ListTargets: [L.ListTargetsRequest, L.ListTargetsResponse];
  PutAuthPolicy: [L.PutAuthPolicyRequest, L.PutAuthPolicyResponse];
  PutResourcePolicy: [L.PutResourcePolicyRequest, L.PutResourcePolicyResponse];
  RegisterTargets: [L.RegisterTargetsRequest, L.RegisterTargetsResponse];
  StartDomainVerification: [L.StartDomainVerificationRequest, L.StartDomainVerificationResponse];
  TagResource: [L.TagResourceRequest, L.TagResourceResponse];
  UntagResource: [L.UntagResourceRequest, L.UntagResourceResponse];
  UpdateAccessLogSubscription: [L.UpdateAccessLogSubscriptionRequest, L.UpdateAccessLogSubscriptionResponse];
  UpdateListener: [L.UpdateListenerRequest, L.UpdateListenerResponse];
  UpdateResourceConfiguration: [L.UpdateResourceConfigurationRequest, L.UpdateResourceConfigurationResponse];
  UpdateResourceGateway: [L.UpdateResourceGatewayRequest, L.UpdateResourceGatewayResponse];
  UpdateRule: [L.UpdateRuleRequest, L.UpdateRuleResponse];
  UpdateService: [L.UpdateServiceRequest, L.UpdateServiceResponse];
  UpdateServiceNetwork: [L.UpdateServiceNetworkRequest, L.UpdateServiceNetworkResponse];
  UpdateServiceNetworkVpcAssociation: [L.UpdateServiceNetworkVpcAssociationRequest, L.UpdateServiceNetworkVpcAssociationResponse];
  UpdateTargetGroup: [L.UpdateTargetGroupRequest, L.UpdateTargetGroupResponse];
}

export type Handler<N extends keyof IO> = (ctx: Ctx, input: Valid<IO[N][0]>) => IO[N][1];
export type Handlers = { [N in OperationName]: N extends keyof IO ? Handler<N> : never };
