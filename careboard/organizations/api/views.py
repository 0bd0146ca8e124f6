"""Organisations, wards, memberships and invitations (admins manage; members read)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from careboard.organizations import access, services
from careboard.organizations.api.scoping import ScopedViewSet, ScopedViewSetMixin
from careboard.organizations.api.serializers import (
    InvitationAcceptSerializer,
    InvitationSerializer,
    MembershipSerializer,
    OrganizationSerializer,
    WardSerializer,
)
from careboard.organizations.models import Invitation, Membership, Organization, Ward
from careboard.organizations.roles import Capability
from careboard.users.signed_in import signed_in_user


class OrganizationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Organization],
):
    """The organisations the caller belongs to; admins edit theirs.

    Organisations are created by the operator (Django admin or a management command).
    """

    serializer_class = OrganizationSerializer
    view_capability = Capability.ORGANIZATION_VIEW
    write_capability = Capability.ORGANIZATION_MANAGE
    org_field = "pk"
    search_fields = ("name",)
    ordering_fields = ("name", "created_at")

    def base_queryset(self) -> QuerySet[Organization]:
        return Organization.objects.all()


class WardViewSet(ScopedViewSet):
    """Wards of the caller's organisations; admins create, rename and archive them."""

    serializer_class = WardSerializer
    view_capability = Capability.WARD_VIEW
    write_capability = Capability.WARD_MANAGE
    filterset_fields = ("organization", "archived")
    search_fields = ("name", "code")
    ordering_fields = ("name", "created_at")
    http_method_names = ("get", "post", "patch", "head", "options")

    def base_queryset(self) -> QuerySet[Ward]:
        return Ward.objects.all()


class MembershipViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Membership],
):
    """Members of the caller's organisations (admins only): change a role, remove a member."""

    serializer_class = MembershipSerializer
    view_capability = Capability.MEMBERSHIP_VIEW
    write_capability = Capability.MEMBERSHIP_MANAGE
    filterset_fields = ("organization", "role")
    search_fields = ("user__email", "user__name")
    http_method_names = ("get", "patch", "delete", "head", "options")
    extra_problem_statuses = (409,)

    def base_queryset(self) -> QuerySet[Membership]:
        return Membership.objects.select_related("user")

    def perform_update(self, serializer: BaseSerializer[Membership]) -> None:
        membership = serializer.instance
        if membership is None:  # update() always passes the object it fetched
            raise NotFound
        services.membership_set_role(
            membership=membership,
            role=serializer.validated_data.get("role", membership.role),
        )

    def perform_destroy(self, instance: Membership) -> None:
        services.membership_remove(membership=instance)


class InvitationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Invitation],
):
    """Invitations (admins only). Creating one e-mails the link; deleting revokes it."""

    serializer_class = InvitationSerializer
    view_capability = Capability.INVITATION_MANAGE
    write_capability = Capability.INVITATION_MANAGE
    filterset_fields = ("organization", "role")
    search_fields = ("email",)
    extra_problem_statuses = (409,)

    def base_queryset(self) -> QuerySet[Invitation]:
        return Invitation.objects.select_related("invited_by")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        org = serializer.validated_data["organization"]
        access.require(request.user, Capability.INVITATION_MANAGE, org.pk)
        prefix = request.build_absolute_uri(reverse("invitation", args=["x"]))[: -len("x/")]
        invitation, token = services.invitation_create(
            organization=org,
            email=serializer.validated_data["email"],
            role=serializer.validated_data["role"],
            invited_by=signed_in_user(request),
            accept_url=prefix,
        )
        context = {**self.get_serializer_context(), "accept_url": f"{prefix}{token}/"}
        out = InvitationSerializer(invitation, context=context)
        return Response(out.data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Invitation) -> None:
        services.invitation_revoke(invitation=instance)


class InvitationAcceptView(APIView):
    """Accept an invitation as the signed-in user (whose e-mail must be the invited one)."""

    # 404: the token is unknown, used, revoked or expired.
    extra_problem_statuses = (404, 409)

    @extend_schema(request=InvitationAcceptSerializer, responses={201: MembershipSerializer})
    def post(self, request: Request) -> Response:
        serializer = InvitationAcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_for_token(serializer.validated_data["token"])
        if invitation is None:
            raise NotFound("This invitation is unknown, used, revoked or expired.")
        membership = services.invitation_accept(invitation=invitation, user=signed_in_user(request))
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)
