"""The desired state of Keycloak realms: compiled from the model (:mod:`groupid.state.desired`) and written as
Keycloak's own JSON (:mod:`groupid.state.representation`)."""

from groupid.state.desired import (
    Attributes,
    ClientNode,
    GroupNode,
    IdentityProviderNode,
    OrganizationNode,
    RealmState,
    RoleNode,
    compile_realms,
)
from groupid.state.nodes import FederationNode, SignInFlowNode
from groupid.state.representation import USER_ATTRIBUTES, USER_PROFILE_GROUP, realm_representation, user_profile

__all__ = [
    "USER_ATTRIBUTES",
    "USER_PROFILE_GROUP",
    "Attributes",
    "ClientNode",
    "FederationNode",
    "GroupNode",
    "IdentityProviderNode",
    "OrganizationNode",
    "RealmState",
    "RoleNode",
    "SignInFlowNode",
    "compile_realms",
    "realm_representation",
    "user_profile",
]
