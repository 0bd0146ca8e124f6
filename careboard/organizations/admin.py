from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from careboard.organizations.models import Invitation, Membership, Organization, Ward

# Django's admin classes are generic only in django-stubs, not at runtime.
if TYPE_CHECKING:
    _InvitationAdminBase = admin.ModelAdmin[Invitation]
else:
    _InvitationAdminBase = admin.ModelAdmin


@admin.register(Organization)
class OrganizationAdmin(SimpleHistoryAdmin):
    list_display = ("name", "slug", "time_zone", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}  # noqa: RUF012


@admin.register(Ward)
class WardAdmin(SimpleHistoryAdmin):
    list_display = ("name", "organization", "beds", "archived")
    list_filter = ("organization", "archived")
    search_fields = ("name", "code")


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "organization", "role")
    list_filter = ("organization", "role")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


@admin.register(Invitation)
class InvitationAdmin(_InvitationAdminBase):
    list_display = ("email", "organization", "role", "created_at", "expires_at", "accepted_at")
    list_filter = ("organization", "role")
    search_fields = ("email",)
    readonly_fields = ("token_hash",)
