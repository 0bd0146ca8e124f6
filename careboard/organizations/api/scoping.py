"""DRF glue for ``careboard.organizations.access``: scoped viewsets and related fields."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import Model, QuerySet
from rest_framework import serializers, viewsets
from rest_framework.request import Request

from careboard.organizations import access
from careboard.organizations.roles import Capability

READ_ACTIONS = frozenset({"list", "retrieve", "metadata"})

# The mixin is only ever combined with a GenericViewSet; the type checker is told so, and
# checks its use of request, action and super() against that class.
if TYPE_CHECKING:
    _ViewSet = viewsets.GenericViewSet[Any]
else:
    _ViewSet = object


class ScopedViewSetMixin(_ViewSet):
    """A viewset whose queryset is scoped to the caller and whose writes check the role.

    Subclasses set ``view_capability`` (needed to see the objects at all), ``write_capability``
    (create/update/delete and custom actions unless listed in ``capability_by_action``) and
    ``org_field`` (lookup path from the model to its organisation).
    """

    view_capability: ClassVar[Capability]
    write_capability: ClassVar[Capability | None] = None
    capability_by_action: ClassVar[dict[str, Capability]] = {}
    org_field: ClassVar[str] = "organization"

    def base_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return access.scope(
            self.base_queryset(),
            self.request.user,
            capability=self.view_capability,
            org_field=self.org_field,
        )

    def capability_for_action(self) -> Capability | None:
        action = self.action or ""
        if action in self.capability_by_action:
            return self.capability_by_action[action]
        if action in READ_ACTIONS:
            return None
        return self.write_capability

    def organization_id_of(self, obj: Model) -> uuid.UUID:
        value: Any = obj
        for part in self.org_field.split("__"):
            value = getattr(value, part)
        organization_id: uuid.UUID = value.pk if isinstance(value, Model) else value
        return organization_id

    def check_object_permissions(self, request: Request, obj: Model) -> None:
        super().check_object_permissions(request, obj)
        capability = self.capability_for_action()
        if capability is not None:
            access.require(request.user, capability, self.organization_id_of(obj))


class ScopedViewSet(ScopedViewSetMixin, viewsets.ModelViewSet[Any]):
    """ModelViewSet scoped to the caller; creates check the role in the target organisation."""

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        capability = self.capability_for_action()
        if capability is not None:
            access.require(self.request.user, capability, self.create_organization_id(serializer))
        serializer.save()

    def create_organization_id(self, serializer: serializers.BaseSerializer[Any]) -> uuid.UUID:
        """The organisation a new object will belong to (from the validated input)."""
        org = serializer.validated_data.get("organization")
        if org is None:
            raise serializers.ValidationError({"organization": ["This field is required."]})
        organization_id: uuid.UUID = org.pk
        return organization_id


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField[Any]):
    """A related field that only accepts objects visible to the caller.

    An id of another organisation's object reads as "does not exist", like a wrong id.
    """

    def __init__(
        self, *, capability: Capability, org_field: str = "organization", **kwargs: Any
    ) -> None:
        self.capability = capability
        self.org_field = org_field
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any] | None:
        queryset = super().get_queryset()
        if queryset is None:  # a read-only field: nothing to choose from
            return None
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return access.scope(queryset, user, capability=self.capability, org_field=self.org_field)
