from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from careboard.users.models import ApiToken, User

# Django's admin classes are generic only in django-stubs, not at runtime.
if TYPE_CHECKING:
    _UserAdminBase = DjangoUserAdmin[User]
    _ApiTokenAdminBase = admin.ModelAdmin[ApiToken]
else:
    _UserAdminBase = DjangoUserAdmin
    _ApiTokenAdminBase = admin.ModelAdmin


@admin.register(User)
class UserAdmin(_UserAdminBase):
    ordering = ("email",)
    list_display = ("email", "name", "is_active", "is_staff", "last_login")
    search_fields = ("email", "name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "language")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(ApiToken)
class ApiTokenAdmin(_ApiTokenAdminBase):
    list_display = ("name", "user", "prefix", "created_at", "expires_at", "revoked_at")
    readonly_fields = ("key_hash", "prefix", "last_used_at")
    search_fields = ("user__email", "name", "prefix")
